resource "databricks_cluster" "docker_geo" {
  cluster_name            = "docker-geo"
  autotermination_minutes = 30
  data_security_mode      = "NONE"
  node_type_id            = "c5d.2xlarge"
  spark_env_vars = {
    GEO_TILES_BUCKET = "s3://acme-geo-tiles-us-east-1"
  }
  spark_version = "15.4.x-scala2.12"

  autoscale {
    max_workers = 4
    min_workers = 1
  }

  aws_attributes {
    availability         = "ON_DEMAND"
    ebs_volume_count     = 1
    ebs_volume_size      = 100
    ebs_volume_type      = "GENERAL_PURPOSE_SSD"
    first_on_demand      = 1
    instance_profile_arn = "arn:aws:iam::111111111111:instance-profile/databricks-etl-role"
    zone_id              = "us-east-1c"
  }

  docker_image {
    url = "111111111111.dkr.ecr.us-east-1.amazonaws.com/geo-spark:2024.11.3"

    basic_auth {
      password = "{{secrets/etl-secrets/ecr-token}}"
      username = "AWS"
    }
  }
}
