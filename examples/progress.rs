//! Validate in a background thread, watch its progress, and cancel a run.
//!
//! ```text
//! cargo run --example progress
//! ```

use std::error::Error;
use std::io::Read;
use std::thread;
use std::time::Duration;

use usercsv::generate::UserCsv;
use usercsv::{CancelToken, ErrorKind, Progress, Schema, Validator};

/// An upload that never ends: a header, then valid rows forever. Only a
/// cancellation stops its validation.
struct Endless {
    next: u64,
    pending: Vec<u8>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            self.pending = format!("user{}@example.com,Ada,Lovelace\n", self.next).into_bytes();
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let validator = Validator::new(&Schema::users())?;

    // 1. Progress: the background task validates; a status handler polls.
    let upload = UserCsv::new(2_000).to_bytes();
    let progress = Progress::new();
    progress.set_total_bytes(Some(upload.len() as u64)); // e.g. from the file's metadata
    let task = {
        let (validator, progress) = (validator.clone(), progress.clone());
        thread::spawn(move || {
            validator
                .validation()
                .progress(progress)
                .validate(&upload[..], None)
        })
    };
    while !progress.is_finished() {
        // A status page would show `progress.fraction()` here.
        thread::sleep(Duration::from_millis(5));
    }
    let report = task.join().expect("no panic")?;
    println!(
        "validated {} rows, {:.0}% of the bytes",
        progress.rows(),
        progress.fraction().unwrap_or(0.0) * 100.0
    );
    assert_eq!((progress.rows(), report.rows.total), (2_000, 2_000));

    // 2. Cancellation: the admin cancels a run that is under way.
    let cancel = CancelToken::new();
    let progress = Progress::new();
    let task = {
        let (validator, progress, cancel) = (validator.clone(), progress.clone(), cancel.clone());
        thread::spawn(move || {
            let input = Endless {
                next: 0,
                pending: b"email,firstName,lastName\n".to_vec(),
            };
            validator
                .validation()
                .progress(progress)
                .cancel_token(cancel)
                .validate(input, None)
        })
    };
    while progress.rows() < 1_000 {
        thread::sleep(Duration::from_millis(5));
    }
    cancel.cancel();
    let err = task
        .join()
        .expect("no panic")
        .expect_err("an endless upload only ends by cancelling");
    let ErrorKind::Cancelled { rows_read } = err.kind() else {
        panic!("{err}")
    };
    assert!(*rows_read >= 1_000);
    println!("cancelled: code {}, no report", err.code());
    Ok(())
}
