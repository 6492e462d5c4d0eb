//! The `drsync` binary: everything happens in the library and its `cli` module.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
