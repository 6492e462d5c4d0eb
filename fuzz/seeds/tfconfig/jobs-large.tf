resource "databricks_job" "data_quality_checks" {
  name = "data-quality-checks"

  notification_settings {
    no_alert_for_canceled_runs = true
  }

  run_as {
    user_name = "carla.diaz@example.com"
  }

  schedule {
    pause_status           = "UNPAUSED"
    quartz_cron_expression = "0 0 8 * * ?"
    timezone_id            = "Asia/Tokyo"
  }

  task {
    task_key            = "all_failed"
    disabled            = true
    existing_cluster_id = databricks_cluster.shared_analytics.id
    run_if              = "ALL_FAILED"

    depends_on {
      task_key = "check_a"
    }

    depends_on {
      task_key = "check_b"
    }

    notebook_task {
      notebook_path = "/Shared/dq/page_oncall"
      source        = "WORKSPACE"
    }
  }

  task {
    task_key = "all_ok"

    condition_task {
      left  = "{{tasks.check_a.values.status}}"
      op    = "EQUAL_TO"
      right = "ok"
    }

    depends_on {
      task_key = "check_a"
    }

    depends_on {
      task_key = "check_b"
    }
  }

  task {
    task_key            = "any_failed"
    existing_cluster_id = databricks_cluster.shared_analytics.id
    run_if              = "AT_LEAST_ONE_FAILED"

    depends_on {
      task_key = "check_a"
    }

    depends_on {
      task_key = "check_b"
    }

    notebook_task {
      notebook_path = "/Shared/dq/page_oncall"
      source        = "WORKSPACE"
    }
  }

  task {
    task_key            = "check_a"
    existing_cluster_id = databricks_cluster.shared_analytics.id

    notebook_task {
      notebook_path = "/Shared/dq/check_a"
      source        = "WORKSPACE"
    }
  }

  task {
    task_key            = "check_b"
    existing_cluster_id = databricks_cluster.shared_analytics.id

    notebook_task {
      notebook_path = "/Shared/dq/check_b"
      source        = "WORKSPACE"
    }
  }

  task {
    task_key            = "report_ok"
    existing_cluster_id = databricks_cluster.shared_analytics.id

    depends_on {
      task_key = "all_ok"
      outcome  = "true"
    }

    notebook_task {
      notebook_path = "/Shared/dq/report"
      source        = "WORKSPACE"
    }
  }

  task {
    task_key            = "summary"
    existing_cluster_id = databricks_cluster.shared_analytics.id
    run_if              = "ALL_DONE"

    depends_on {
      task_key = "any_failed"
    }

    depends_on {
      task_key = "report_ok"
    }

    notebook_task {
      notebook_path = "/Shared/dq/summary"
      source        = "WORKSPACE"
    }
  }
}
