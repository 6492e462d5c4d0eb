resource "databricks_instance_pool" "etl_pool_i3" {
  instance_pool_name = "etl-pool-i3"
  custom_tags = {
    cost_center = "cc-1042"
    team        = "data-eng"
  }
  idle_instance_autotermination_minutes = 30
  max_capacity                          = 50
  min_idle_instances                    = 2
  node_type_id                          = "i3.xlarge"
  preloaded_spark_versions              = ["15.4.x-scala2.12"]

  aws_attributes {
    availability = "SPOT"
    zone_id      = "us-east-1a"
  }
}
