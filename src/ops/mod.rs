//! Operations, in the style of cargo's `ops`: each command's whole run in the library (settings in, a result out
//! that the CLI renders), composed from the stages (`inventory`, `model::normalize`, `convert`, `export`, `git`).
//! Nothing here prints, reads the environment or decides exit codes: progress goes through callbacks the CLI
//! implements, and everything the environment says comes in through the settings.

pub mod export;
