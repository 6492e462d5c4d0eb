//! drsync: keep a disaster-recovery Databricks workspace in step with the primary one, through Terraform and Git.
//!
//! The library never prints and never reads the environment: the binary's `cli` module resolves arguments, the
//! config file and environment variables into settings, calls an operation in [`ops`] and renders what it
//! returns through [`report`]. ARCHITECTURE.md has the map of the modules and their layers.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
pub mod causes;
pub mod check;
pub mod config;
pub mod convert;
pub mod drift;
pub mod drill;
pub mod export;
pub mod git;
pub mod hcl;
pub mod inventory;
pub mod model;
pub mod normalize;
pub mod ops;
pub mod report;
pub mod rewrite;
pub mod tfconfig;
pub mod unicode;
