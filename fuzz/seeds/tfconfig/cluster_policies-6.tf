resource "databricks_cluster_policy" "job_pool_only" {
  name        = "job-pool-only"
  description = "Job clusters must run on the ETL pools."
  definition = jsonencode({
    "autoscale.max_workers" = {
      "defaultValue" = 4
      "maxValue"     = 20
      "type"         = "range"
    }
    "cluster_type" = {
      "type"  = "fixed"
      "value" = "job"
    }
    "custom_tags.cost_center" = {
      "type"  = "fixed"
      "value" = "cc-1042"
    }
    "driver_instance_pool_id" = {
      "hidden" = true
      "type"   = "fixed"
      "value"  = databricks_instance_pool.etl_driver_pool_i3_2xl.id
    }
    "instance_pool_id" = {
      "hidden" = true
      "type"   = "fixed"
      "value"  = databricks_instance_pool.etl_pool_i3.id
    }
    "spark_version" = {
      "pattern" = "15\\.4\\.x-scala2\\.12"
      "type"    = "regex"
    }
  })
}
