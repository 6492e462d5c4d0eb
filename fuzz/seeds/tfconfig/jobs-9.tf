resource "databricks_job" "adhoc_notebook_on_bob_dev" {
  name = "adhoc-notebook-on-bob-dev"

  run_as {
    user_name = "bob.chen@example.com"
  }

  schedule {
    pause_status           = "PAUSED"
    quartz_cron_expression = "0 0 9 ? * MON"
    timezone_id            = "America/New_York"
  }

  task {
    task_key            = "explore"
    existing_cluster_id = databricks_cluster.bob_dev.id

    notebook_task {
      notebook_path = "/Users/bob.chen@example.com/explore_orders"
      source        = "WORKSPACE"
    }
  }
}
