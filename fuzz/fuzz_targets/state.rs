//! Fuzz target: see `drsync_fuzz::state`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| drsync_fuzz::state(data));
