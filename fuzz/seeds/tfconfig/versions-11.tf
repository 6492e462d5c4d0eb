terraform {
  required_version = ">= 1.1.0"

  required_providers {
    databricks = {
      source  = "databricks/databricks"
      version = ">= 1.99.0"
    }
  }
}
