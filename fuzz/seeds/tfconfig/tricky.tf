# drsync: generated
variable "x" {
  type    = string
  default = "}"
}

resource "databricks_job" "a" {
  name = "a } b { \" c \u202E \U0001F600"
  tags = {
    "key}" = "$${not_a_template}"
    other  = "%%{ nor_a_directive }"
  }
  # } a comment with a brace and a "quote
  // { another
  task {
    task_key = "t"
    parameters = ["[", "]", "(", ")"]
    heredoc = <<-EOT
      x ${var.x}
    EOT
  }
}
