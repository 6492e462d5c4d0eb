resource "databricks_cluster" "ml_gpu_training" {
  cluster_name            = "ml-gpu-training"
  autotermination_minutes = 60
  data_security_mode      = "DATA_SECURITY_MODE_DEDICATED"
  kind                    = "CLASSIC_PREVIEW"
  node_type_id            = "g5.xlarge"
  num_workers             = 2
  policy_id               = databricks_cluster_policy.ml_gpu_standard.id
  single_user_name        = "ml-platform@example.com"
  spark_env_vars = {
    FEATURE_BUCKET      = "s3://acme-ml-features-us-east-1"
    MLFLOW_TRACKING_URI = "databricks"
  }
  spark_version  = "15.4.x-scala2.12"
  use_ml_runtime = true

  aws_attributes {
    availability         = "ON_DEMAND"
    first_on_demand      = 3
    instance_profile_arn = "arn:aws:iam::111111111111:instance-profile/databricks-ml-role"
    zone_id              = "auto"
  }
}
