//! Raw bytes through `ReaderBuilder`: no panic, consistent positions, and
//! the same rows as the `csv` crate on plain UTF-8. See `checks.rs`.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_reader(data));
