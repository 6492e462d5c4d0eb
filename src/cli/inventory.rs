//! `drsync inventory`: list what a workspace holds, as a quick check that a workspace and its credentials work.

use super::{CliError, Global};
use std::process::ExitCode;

/// Arguments of `drsync inventory`.
#[derive(Debug, clap::Args)]
pub(crate) struct InventoryArgs {
    /// The workspace entry of drsync.toml to read; without a drsync.toml, the DATABRICKS_* variables and
    /// ~/.databrickscfg are used, as the Databricks CLI does
    #[arg(long, default_value = "primary")]
    workspace: String,

    /// Output format
    #[arg(long, default_value = "text", value_parser = super::args::formats(&drsync::report::Format::SUMMARY))]
    format: drsync::report::Format,

    #[command(flatten)]
    deadline: super::args::DeadlineArgs,
}

pub(crate) async fn run(global: &Global, args: InventoryArgs) -> Result<ExitCode, CliError> {
    let config = if global.config.exists() {
        Some(global.load_config()?)
    } else {
        None
    };
    let connected =
        super::client::connect(global, args.deadline, config.as_ref(), &args.workspace)?;
    let client = connected.client;
    let counts = drsync::inventory::count(&client).await?;
    if args.format == drsync::report::Format::Json {
        let body = serde_json::json!({
            "workspace": args.workspace,
            "host": client.host(),
            "identity": counts.identity,
            "credentials": connected.source,
            "jobs": counts.jobs,
            "tasks": counts.tasks,
            "jobs_over_100_tasks": counts.jobs_over_100_tasks,
            "all_purpose_clusters": counts.all_purpose_clusters,
            "instance_pools": counts.instance_pools,
            "cluster_policies": counts.cluster_policies,
            "sql_warehouses": counts.sql_warehouses,
            "pipelines": counts.pipelines,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    } else {
        outln!(
            "workspace {} at {} as {} ({})",
            args.workspace,
            client.host(),
            counts.identity,
            connected.source
        );
        outln!(
            "  jobs                  {:>6}  ({} tasks; {} jobs over 100 tasks)",
            counts.jobs,
            counts.tasks,
            counts.jobs_over_100_tasks
        );
        outln!("  all-purpose clusters  {:>6}", counts.all_purpose_clusters);
        outln!("  instance pools        {:>6}", counts.instance_pools);
        outln!("  cluster policies      {:>6}", counts.cluster_policies);
        outln!("  SQL warehouses        {:>6}", counts.sql_warehouses);
        outln!("  pipelines             {:>6}", counts.pipelines);
    }
    Ok(ExitCode::SUCCESS)
}
