resource "databricks_job" "repo_based_notebook" {
  name = "repo-based-notebook"

  run_as {
    user_name = "dmitri.ivanov@example.com"
  }

  task {
    task_key            = "run"
    existing_cluster_id = databricks_cluster.ds_single_node.id

    notebook_task {
      notebook_path = "/Repos/dmitri.ivanov@example.com/churn-model/notebooks/score"
      source        = "WORKSPACE"
    }
  }
}
