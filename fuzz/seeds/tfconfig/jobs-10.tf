resource "databricks_job" "file_etc_passwd" {
  name        = "$${file(\"/etc/passwd\")}"
  description = "Name is a literal, not an expression: $${var.x} and %%{ if true }y%%{ endif }"

  run_as {
    user_name = "bob.chen@example.com"
  }

  task {
    task_key            = "main"
    existing_cluster_id = databricks_cluster.bob_dev.id

    notebook_task {
      base_parameters = {
        directive = "%%{ for x in y }"
        tpl       = "$${path.module}"
      }
      notebook_path = "/Users/bob.chen@example.com/scratch/interp_test"
      source        = "WORKSPACE"
    }
  }
}
