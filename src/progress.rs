//! Progress reporting and cancellation for background validation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A cheap shared handle a host polls to show progress.
///
/// Clone it, pass one clone to [`ValidationBuilder::progress`](crate::ValidationBuilder::progress),
/// and read the other from any thread.
///
/// ```
/// use usercsv::{Progress, Schema, Validator};
///
/// let progress = Progress::new();
/// progress.set_total_bytes(Some(54));
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
/// validator.validation().progress(progress.clone()).validate(csv.as_bytes(), None).unwrap();
/// assert_eq!(progress.rows(), 1);
/// assert_eq!(progress.bytes(), 54);
/// assert_eq!(progress.fraction(), Some(1.0));
/// assert!(progress.is_finished());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<ProgressState>);

#[derive(Debug, Default)]
struct ProgressState {
    rows: AtomicU64,
    bytes: AtomicU64,
    total_bytes: AtomicU64,
    finished: AtomicBool,
}

impl Progress {
    /// A fresh handle at zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Data rows validated so far.
    pub fn rows(&self) -> u64 {
        self.0.rows.load(Ordering::Relaxed)
    }

    /// Input bytes read so far (of the decoded text).
    pub fn bytes(&self) -> u64 {
        self.0.bytes.load(Ordering::Relaxed)
    }

    /// The input's size, when the host knows it.
    pub fn total_bytes(&self) -> Option<u64> {
        match self.0.total_bytes.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Tells the handle the input's size (e.g. from file metadata).
    pub fn set_total_bytes(&self, total: Option<u64>) {
        self.0
            .total_bytes
            .store(total.unwrap_or(0), Ordering::Relaxed);
    }

    /// Fraction done, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        self.total_bytes()
            .map(|total| (self.bytes() as f64 / total as f64).min(1.0))
    }

    /// Whether the run has ended (successfully or not).
    pub fn is_finished(&self) -> bool {
        self.0.finished.load(Ordering::Acquire)
    }

    pub(crate) fn update(&self, rows: u64, bytes: u64) {
        self.0.rows.store(rows, Ordering::Relaxed);
        self.0.bytes.store(bytes, Ordering::Relaxed);
    }

    pub(crate) fn finish(&self) {
        self.0.finished.store(true, Ordering::Release);
    }
}

/// A flag a host sets to stop a run between rows.
///
/// A cancelled run ends with an [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled)
/// error, never with a report.
///
/// ```
/// use usercsv::{CancelToken, Schema, Validator};
///
/// let cancel = CancelToken::new();
/// cancel.cancel();
/// let validator = Validator::new(&Schema::users()).unwrap();
/// let csv = "email,firstName,lastName\nada@example.com,Ada,Lovelace\n";
/// let err = validator.validation().cancel_token(cancel).validate(csv.as_bytes(), None).unwrap_err();
/// assert_eq!(err.code(), "cancelled");
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
