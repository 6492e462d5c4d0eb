//! Operations, in the style of cargo's `ops`: each command's whole run in the library, composed from the stages
//! (`inventory`, `normalize`, `convert`, `export`, `drift`, `check`, `git`): resolved settings (and the
//! clients the caller built) in, a value the CLI renders out. Nothing here prints, reads the environment or
//! decides exit codes: progress goes through callbacks the CLI implements.

pub mod adopt;
pub mod check;
pub mod desired;
pub mod drift;
pub mod drill;
pub mod export;
