//! `drsync inventory`: list what a workspace holds, as a quick check that a workspace and its credentials work.

use super::{CliError, Global};
use drsync::api::ClusterFilter;
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
    let all_purpose = ClusterFilter::all_purpose();
    let (me, jobs, clusters, pools, policies) = tokio::try_join!(
        client.current_user(),
        client.list_jobs(),
        client.list_clusters(&all_purpose),
        client.list_instance_pools(),
        client.list_cluster_policies(),
    )?;
    let tasks: usize = jobs.iter().map(|j| j.settings.tasks.len()).sum();
    let large = jobs.iter().filter(|j| j.settings.tasks.len() > 100).count();
    if args.format == drsync::report::Format::Json {
        let body = serde_json::json!({
            "workspace": args.workspace,
            "host": client.host(),
            "identity": me.user_name,
            "credentials": connected.source,
            "jobs": jobs.len(),
            "tasks": tasks,
            "jobs_over_100_tasks": large,
            "all_purpose_clusters": clusters.len(),
            "instance_pools": pools.len(),
            "cluster_policies": policies.len(),
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
            me.user_name,
            connected.source
        );
        outln!(
            "  jobs                  {:>6}  ({tasks} tasks; {large} jobs over 100 tasks)",
            jobs.len()
        );
        outln!("  all-purpose clusters  {:>6}", clusters.len());
        outln!("  instance pools        {:>6}", pools.len());
        outln!("  cluster policies      {:>6}", policies.len());
    }
    Ok(ExitCode::SUCCESS)
}
