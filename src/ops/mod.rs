//! Operations, in the style of cargo's `ops`: each takes resolved settings (and the clients the caller built)
//! and returns a value the CLI renders. They orchestrate the stages; they never print, read the environment or
//! decide exit codes.

pub mod check;
pub mod desired;
pub mod drift;
