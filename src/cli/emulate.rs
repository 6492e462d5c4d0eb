//! `drsync emulate`: run the workspace emulator until interrupted.
#![allow(clippy::print_stderr)]

use super::CliError;
use drsync_emulator::{
    synthetic, Cloud, Emulator, EmulatorConfig, Fault, Fixtures, SyntheticSpec, DEFAULT_TOKEN,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `drsync emulate`.
#[derive(Debug, clap::Args)]
#[command(after_help = format!(
    "Without --token, the emulator accepts the token {DEFAULT_TOKEN}.\n\
     The first line on stdout is the base URL; logs go to stderr. SIGINT or SIGTERM stop it."
))]
pub(crate) struct EmulateArgs {
    /// Seed the workspace from a folder of API bodies (jobs.json, clusters.json, ...)
    #[arg(long, value_name = "DIR")]
    fixtures: Option<PathBuf>,

    /// Seed the workspace with a generated AWS workspace of this size instead, e.g.
    /// jobs=10000,clusters=1000,pools=200,policies=100 (any subset of the keys; the same --seed gives the
    /// same workspace)
    #[arg(long, value_name = "SPEC", conflicts_with = "fixtures")]
    synthetic: Option<SyntheticSpec>,

    /// Address to listen on; port 0 picks a free one
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,

    /// Accept this personal access token (can be repeated)
    #[arg(long = "token", value_name = "T")]
    tokens: Vec<String>,

    /// Accept this OAuth M2M client at /oidc/v1/token (can be repeated)
    #[arg(long = "client", value_name = "ID:SECRET")]
    clients: Vec<String>,

    /// The cloud to emulate, which picks the built-in catalog of node types and zones
    #[arg(long, default_value = "aws", value_parser = ["aws", "azure", "gcp"])]
    cloud: String,

    /// Delay every reply by this many milliseconds
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,

    /// Inject faults: STATUS:RATE[:PATH_PREFIX], reset:RATE, truncate:RATE or delay=MS:RATE (can be repeated)
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,

    /// Seed for generated ids, fault decisions and the --synthetic workspace
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Limit each endpoint family (GET jobs/list, GET clusters/get, ...) to N requests per second, with a burst
    /// of one second's worth; beyond it, answer 429 REQUEST_LIMIT_EXCEEDED with Retry-After. The count of
    /// those 429s is printed on stderr at exit
    #[arg(long, value_name = "N")]
    rate_limit: Option<f64>,
}

pub(crate) async fn run(args: EmulateArgs) -> Result<ExitCode, CliError> {
    let cloud: Cloud = args.cloud.parse().map_err(CliError::new)?;
    let started = std::time::Instant::now();
    let (fixtures, generated) = match (&args.fixtures, &args.synthetic) {
        (Some(dir), _) => (Fixtures::load(dir)?, None),
        (None, Some(spec)) => {
            if cloud != Cloud::Aws {
                return Err(CliError::new(format!(
                    "--synthetic generates an AWS workspace, so it cannot be used with --cloud {}",
                    cloud.as_str()
                )));
            }
            (synthetic(spec, args.seed), Some(started.elapsed()))
        }
        (None, None) => (Fixtures::default(), None),
    };
    let faults = args
        .faults
        .iter()
        .map(|s| s.parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()?;
    let clients = args
        .clients
        .iter()
        .map(|c| {
            c.split_once(':')
                .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                .map(|(id, secret)| (id.to_string(), secret.to_string()))
                .ok_or_else(|| drsync_emulator::Error::Spec {
                    what: "client",
                    spec: c.split(':').next().unwrap_or_default().to_string() + ":***",
                    reason: "expected ID:SECRET".to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tokens = if args.tokens.is_empty() {
        vec![DEFAULT_TOKEN.to_string()]
    } else {
        args.tokens
    };
    let mut summary = format!(
        "{} jobs, {} clusters, {} pools, {} policies, {} SQL warehouses, {} pipelines",
        fixtures.jobs.len(),
        fixtures.clusters.len(),
        fixtures.instance_pools.len(),
        fixtures.cluster_policies.len(),
        fixtures.sql_warehouses.len(),
        fixtures.pipelines.len()
    );
    if let Some(took) = generated {
        summary.push_str(&format!(
            " (synthetic, seed {}, generated in {} ms)",
            args.seed,
            took.as_millis()
        ));
    }
    let config = EmulatorConfig {
        fixtures,
        tokens,
        clients,
        cloud,
        latency: Duration::from_millis(args.latency_ms),
        faults,
        seed: args.seed,
        rate_limit: args.rate_limit,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config, args.addr).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", emulator.url())?;
        out.flush()?;
    }
    let cloud_name = match cloud {
        Cloud::Aws => "an AWS",
        Cloud::Azure => "an Azure",
        Cloud::Gcp => "a GCP",
    };
    eprintln!(
        "drsync emulate: {cloud_name} workspace at {} with {summary}; stop with Ctrl-C",
        emulator.url()
    );
    wait_for_signal().await?;
    if args.rate_limit.is_some() {
        // One line a benchmark can read: how polite the client was.
        eprintln!(
            "drsync emulate: {} requests, {} answered 429 by --rate-limit",
            emulator.request_count(),
            emulator.rate_limited()
        );
    }
    emulator.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
