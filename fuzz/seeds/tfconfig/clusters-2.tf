resource "databricks_cluster" "bob_dev" {
  cluster_name            = "bob-dev"
  autotermination_minutes = 60
  data_security_mode      = "SINGLE_USER"
  node_type_id            = "m5d.xlarge"
  num_workers             = 2
  single_user_name        = "bob.chen@example.com"
  spark_conf = {
    "spark.databricks.delta.preview.enabled" = "true"
  }
  spark_version   = "14.3.x-scala2.12"
  ssh_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9vY2Fsb3Jlc3RlZHVtbXlrZXlmb3J0ZXN0cw bob@laptop"]

  aws_attributes {
    availability           = "SPOT"
    first_on_demand        = 1
    instance_profile_arn   = "arn:aws:iam::111111111111:instance-profile/databricks-etl-role"
    spot_bid_price_percent = 80
    zone_id                = "auto"
  }

  library {
    jar = "s3://acme-artifacts-us-east-1/jars/bob-scratch-0.1.jar"
  }

  library {
    pypi {
      package = "requests==2.32.3"
    }
  }
}
