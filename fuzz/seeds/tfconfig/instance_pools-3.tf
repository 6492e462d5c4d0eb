resource "databricks_instance_pool" "ml_gpu_pool_g5" {
  instance_pool_name = "ml-gpu-pool-g5"
  custom_tags = {
    gpu  = "a10g"
    team = "ml"
  }
  idle_instance_autotermination_minutes = 15
  max_capacity                          = 8
  node_type_id                          = "g5.xlarge"

  aws_attributes {
    availability         = "ON_DEMAND"
    instance_profile_arn = "arn:aws:iam::111111111111:instance-profile/databricks-ml-role"
    zone_id              = "auto"
  }
}
