//! Raw bytes through validation with `Schema::users()` and the error CSV
//! round trip. See `checks.rs`.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::check_pipeline(data, cfg!(feature = "strict"));
});
