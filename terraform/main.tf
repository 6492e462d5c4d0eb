# The hand-written part of the DR root module. drsync writes the resources into terraform/generated; Terraform
# runs in that folder (the root module), with this file copied next to the generated ones:
#
#   cp terraform/main.tf terraform/generated/provider.tf
#
# drsync keeps files it does not manage (provider.tf, backend.tf) when it rewrites the folder, and drift and
# check read only the resource blocks and variables, so the copy is made once and committed. See README.md.
#
# No `terraform { required_providers { ... } }` block here: the generated versions.tf already declares
# databricks/databricks with the version constraint of [export] provider_version, and a second declaration of
# the same provider in one module is an error.

variable "dr_host" {
  description = "URL of the DR workspace, e.g. https://dbc-dr.cloud.databricks.com. Null: DATABRICKS_HOST."
  type        = string
  default     = null
}

provider "databricks" {
  host = var.dr_host

  # Authentication is left to the provider's environment variables, never written here:
  #   OAuth M2M (preferred): DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET of a service principal
  #   that is a workspace admin in DR;
  #   or a personal access token: DATABRICKS_TOKEN.
  # On Azure, ARM_CLIENT_ID / ARM_CLIENT_SECRET / ARM_TENANT_ID work as well.
}
