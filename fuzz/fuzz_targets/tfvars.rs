//! Fuzz target: see `drsync_fuzz::tfvars`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| drsync_fuzz::tfvars(data));
