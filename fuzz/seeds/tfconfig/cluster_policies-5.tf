resource "databricks_cluster_policy" "personal_compute" {
  name        = "Personal Compute"
  description = "Use with small-to-medium data or libraries like pandas and scikit-learn. Spark runs in local mode."
  policy_family_definition_overrides = jsonencode({
    "autotermination_minutes" = {
      "defaultValue" = 120
      "maxValue"     = 240
      "type"         = "range"
    }
    "aws_attributes.instance_profile_arn" = {
      "hidden" = true
      "type"   = "fixed"
      "value"  = "arn:aws:iam::111111111111:instance-profile/databricks-analytics-role"
    }
    "custom_tags.ResourceClass" = {
      "type"  = "fixed"
      "value" = "SingleNode"
    }
  })
  policy_family_id = "personal-vm"
}
