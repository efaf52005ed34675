//! Any UTF-8 text through `Schema::from_toml_str` and `Validator::new`: no
//! panic, and a parsed schema survives `to_toml`. See `checks.rs`.
#![no_main]

#[path = "checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_schema(data));
