//! The `drsync` binary: everything happens in the library and its `cli` module. Here only what a process has
//! once: the allocator and its options.

mod cli;

/// mimalloc (built from its vendored C sources): export and drift build and free millions of small JSON and HCL
/// nodes on several threads, where glibc's allocator spent a third of the time (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    allocator::return_freed_memory_sooner();
    cli::main()
}

/// mimalloc's options, set through its C API (the one place drsync uses `unsafe`: the library forbids it).
#[allow(unsafe_code)]
mod allocator {
    use std::ffi::{c_int, c_long};

    // The number of `mi_option_purge_delay` in mimalloc 3's `mi_option_t` (include/mimalloc.h of the mimalloc
    // that libmimalloc-sys 0.1.49 vendors, 3.3.2). mimalloc keeps every option's number across releases (options
    // it dropped keep their place as `mi_option_deprecated_*`), so that programs built against one release run
    // with the next; libmimalloc-sys's own `extended` module does not name it.
    const MI_OPTION_PURGE_DELAY: c_int = 15;

    extern "C" {
        fn mi_version() -> c_int;
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// Give freed memory back to the system after 10 ms instead of mimalloc 3's 1 s (mimalloc 2's default was
    /// 10 ms). An export frees the listing while it builds the files and reads the committed ones: with a
    /// second's delay that memory was still resident while the next stage grew, and the peak was nearly the sum
    /// of both. Measured with `no_thp` (Cargo.toml; ARCHITECTURE.md, "Memory"): export with its commit at
    /// 10,000 jobs 281 -> 177-189 MB, at 2,000 jobs 89-93 -> 65-70 MB, in the same time; drift, which keeps what
    /// it reads, about the same. Only for mimalloc 3, whose option number this is. mimalloc 2 (the crate's
    /// `v2` feature) purges after 10 ms by default and would need no `unsafe`, but the same export peaked at
    /// 302-338 MiB with it (issue 16 session note).
    pub(super) fn return_freed_memory_sooner() {
        // SAFETY: both are plain C calls without pointers; mimalloc reads its options at any time, from any
        // thread, and this runs first in `main`, before any other thread exists.
        unsafe {
            if mi_version() / 10_000 == 3 {
                mi_option_set(MI_OPTION_PURGE_DELAY, 10);
            }
        }
    }
}
