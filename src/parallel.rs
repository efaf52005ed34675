//! The multi-threaded validation pipeline behind
//! [`ValidationBuilder::threads`](crate::ValidationBuilder::threads).
//!
//! The calling thread reads rows into batches and hands them to worker
//! threads, which run the stateless checks ([`Compiled::check_row`]). The
//! calling thread takes the checked batches back in input order and runs the
//! sequential part ([`Validation::finish_row`]: uniqueness, plan, counts,
//! report) and writes the error CSV, exactly as the one-thread loop does; so
//! the report and the error CSV are the same byte for byte. Batches are
//! recycled and their number is capped, so memory stays flat.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc;

use crate::error::{Error, ErrorKind};
use crate::plan::Plan;
use crate::reader::Row;
use crate::report::{RowError, ValidationReport};
use crate::validation::{ErrorSink, Validation};
use crate::validator::Scratch;

/// Rows per batch: large enough to amortise the hand-over, small enough to
/// keep every thread busy and memory small.
const BATCH: usize = 256;

/// Batches in flight per worker.
const IN_FLIGHT_PER_WORKER: usize = 4;

struct Batch {
    seq: u64,
    len: usize,
    rows: Vec<Row>,
    errors: Vec<Vec<RowError>>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            seq: 0,
            len: 0,
            rows: Vec::with_capacity(BATCH),
            errors: Vec::with_capacity(BATCH),
        }
    }
}

/// Runs `run` to the end with `threads` worker threads; see the module docs.
pub(crate) fn validate<R: Read, W: Write>(
    mut run: Validation<R>,
    mut sink: ErrorSink<W>,
    threads: usize,
) -> Result<(ValidationReport, Option<Plan>), Error> {
    let workers = threads.max(1);
    let validator = run.validator.clone();
    let map = run.map.clone();
    let relax = run.tally.relaxes_required();
    let compiled = &*validator.inner;
    let map = &*map;
    let outcome = std::thread::scope(|scope| -> Result<(), Error> {
        let (done_tx, done_rx) = mpsc::channel::<Batch>();
        let mut work = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT_PER_WORKER);
            let done = done_tx.clone();
            scope.spawn(move || {
                let mut scratch = Scratch::default();
                for mut batch in rx {
                    for i in 0..batch.len {
                        let errors = &mut batch.errors[i];
                        errors.clear();
                        compiled.check_row(map, &batch.rows[i], errors, &mut scratch, relax);
                    }
                    if done.send(batch).is_err() {
                        return;
                    }
                }
            });
            work.push(tx);
        }
        drop(done_tx);
        let mut order = Sequencer {
            next: 0,
            pending: BTreeMap::new(),
            free: Vec::new(),
            in_flight: 0,
        };
        let cap = workers * IN_FLIGHT_PER_WORKER;
        let mut seq = 0u64;
        loop {
            let mut batch = order.free.pop().unwrap_or_else(Batch::new);
            batch.seq = seq;
            batch.len = 0;
            let mut stop: Option<Result<(), Error>> = None;
            while batch.len < BATCH {
                if let Some(cancel) = &run.cancel
                    && cancel.is_cancelled()
                {
                    stop = Some(Err(Error::new(ErrorKind::Cancelled { rows_read: 0 })));
                    break;
                }
                if batch.rows.len() == batch.len {
                    batch.rows.push(Row::default());
                    batch.errors.push(Vec::new());
                }
                match run.reader.read_row(&mut batch.rows[batch.len]) {
                    Ok(true) => batch.len += 1,
                    Ok(false) => {
                        stop = Some(Ok(()));
                        break;
                    }
                    Err(err) => {
                        stop = Some(Err(err));
                        break;
                    }
                }
            }
            if batch.len > 0 {
                let worker = (seq % workers as u64) as usize;
                seq += 1;
                order.in_flight += 1;
                if work[worker].send(batch).is_err() {
                    return Err(Error::from(std::io::Error::other(
                        "validation worker stopped",
                    )));
                }
            } else {
                order.free.push(batch);
            }
            // Finish what is ready; wait when too much is in flight or at the end.
            while order.in_flight > 0 {
                let block = stop.is_some() || order.in_flight >= cap;
                let received = if block {
                    match done_rx.recv() {
                        Ok(batch) => Some(batch),
                        Err(_) => {
                            return Err(Error::from(std::io::Error::other(
                                "validation worker stopped",
                            )));
                        }
                    }
                } else {
                    done_rx.try_recv().ok()
                };
                let Some(batch) = received else { break };
                order.accept(batch, &mut run, &mut sink)?;
            }
            if let Some(stop) = stop {
                return match stop {
                    Err(err) if matches!(err.kind(), ErrorKind::Cancelled { .. }) => {
                        Err(Error::new(ErrorKind::Cancelled {
                            rows_read: run.tally.report.rows.total,
                        }))
                    }
                    other => other,
                };
            }
        }
    });
    outcome?;
    sink.finish()?;
    run.finish_with_plan()
}

/// Puts checked batches back in input order.
struct Sequencer {
    next: u64,
    pending: BTreeMap<u64, Batch>,
    free: Vec<Batch>,
    in_flight: usize,
}

impl Sequencer {
    fn accept<R: Read, W: Write>(
        &mut self,
        batch: Batch,
        run: &mut Validation<R>,
        sink: &mut ErrorSink<W>,
    ) -> Result<(), Error> {
        self.pending.insert(batch.seq, batch);
        while let Some(mut batch) = self.pending.remove(&self.next) {
            self.next += 1;
            self.in_flight -= 1;
            for i in 0..batch.len {
                let errors = &mut batch.errors[i];
                run.finish_row(&batch.rows[i], errors);
                if !errors.is_empty() {
                    sink.write(batch.rows[i].fields(), errors)?;
                }
            }
            self.free.push(batch);
        }
        Ok(())
    }
}
