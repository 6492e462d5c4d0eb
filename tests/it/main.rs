//! drsync's integration tests: one binary, one module per area, all against in-process emulators on loopback.

mod client;
mod common;
mod emulator_compute;
mod emulator_jobs;
mod export;
mod rewrite;
mod sdk_compat;
