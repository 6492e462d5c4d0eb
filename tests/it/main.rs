//! drsync's integration tests: one binary, one module per area, all against in-process emulators on loopback.

mod apply;
mod bench_smoke;
mod check;
mod client;
mod common;
mod demo;
mod demo_fixtures;
mod drift;
mod drift_cli;
mod emulator_compute;
mod emulator_jobs;
mod export;
mod export_git;
mod git;
mod help;
mod identity;
mod init;
mod listing_failures;
mod matching;
mod provider;
mod report;
mod rewrite;
mod sdk_compat;
mod soak;
mod synthetic;
mod templates;
