//! Fuzz target: see `drsync_fuzz::tfconfig`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| drsync_fuzz::tfconfig(data));
