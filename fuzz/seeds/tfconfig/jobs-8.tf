resource "databricks_job" "orphaned_job_deleted_creator" {
  name = "orphaned-job-deleted-creator"

  run_as {
    user_name = "alice.martin@example.com"
  }

  schedule {
    pause_status           = "PAUSED"
    quartz_cron_expression = "0 0 12 * * ?"
    timezone_id            = "UTC"
  }

  task {
    task_key            = "legacy"
    existing_cluster_id = databricks_cluster.bi_graviton_photon.id

    notebook_task {
      notebook_path = "/Shared/legacy/old_report"
      source        = "WORKSPACE"
    }
  }
}
