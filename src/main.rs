//! The `drsync` binary: everything happens in the library and its `cli` module.

mod cli;

/// mimalloc (built from its vendored C sources): export and drift build and free millions of small JSON and HCL
/// nodes on several threads, where glibc's allocator spent a third of the time (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
