//! The batch driver behind [`ValidationBuilder::validate`](crate::ValidationBuilder::validate).
//!
//! The calling thread reads rows into batches. Each batch gets the stateless
//! checks ([`Compiled::check_row`]) and the hashes of its unique keys
//! ([`UniqueColumns::hashes`]): on the calling thread with one thread,
//! else on `threads - 1` worker threads ([`ValidationBuilder::threads`](crate::ValidationBuilder::threads)),
//! the calling thread being busy enough with reading and the in-order part.
//! The calling thread then takes the batches in input order and runs the
//! sequential part: it first touches the uniqueness-table slots of the whole
//! batch, so that their cache misses overlap instead of each row waiting for
//! its own, then finishes each row ([`Validation::finish_row`]: uniqueness,
//! plan, counts, report) and writes failed rows to the error CSV. Every
//! thread count gives the same report and error CSV, byte for byte. Batches
//! are recycled and their number is capped, so memory stays flat.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc;

use crate::error::{Error, ErrorKind};
use crate::plan::{Lookup, Plan, PlanView};
use crate::report::{RowError, ValidationReport};
use crate::row::Row;
use crate::rules::KeyHasher;
use crate::validator::{Compiled, HeaderMap, Scratch};

use super::stream::Validation;
use super::tally::{Ahead, ErrorSink};
use super::unique::UniqueColumns;

/// Rows per batch: large enough to amortise the hand-over and to overlap
/// many cache misses, small enough to keep every thread busy and memory small.
const BATCH: usize = 256;

/// Rows whose uniqueness-table slots are touched again shortly before
/// their inserts (see [`finish`]).
const RETOUCH_ROWS: usize = 64;

/// Batches in flight per worker.
const IN_FLIGHT_PER_WORKER: usize = 4;

struct Batch {
    seq: u64,
    len: usize,
    rows: Vec<Row>,
    errors: Vec<Vec<RowError>>,
    /// The unique-key hashes of the rows, one per unique column, back to back.
    hashes: Vec<u64>,
    /// Each row's user, when the run plans ([`PlanView::lookup_ahead`]).
    lookups: Vec<Option<Lookup>>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            seq: 0,
            len: 0,
            rows: Vec::with_capacity(BATCH),
            errors: Vec::with_capacity(BATCH),
            hashes: Vec::new(),
            lookups: Vec::new(),
        }
    }
}

/// What checks a batch; one per thread that does.
struct Checker<'a> {
    compiled: &'a Compiled,
    map: &'a HeaderMap,
    relax_required: bool,
    hashers: &'a [(usize, KeyHasher)],
    plan: Option<PlanView>,
    scratch: Scratch,
}

impl Checker<'_> {
    fn check(&mut self, batch: &mut Batch) {
        let rows = &batch.rows[..batch.len];
        self.compiled.check_rows(
            self.map,
            rows,
            &mut batch.errors[..batch.len],
            &mut self.scratch,
            self.relax_required,
        );
        batch.hashes.clear();
        for row in rows {
            UniqueColumns::hashes(
                self.compiled,
                self.map,
                row,
                self.hashers,
                &mut batch.hashes,
            );
        }
        batch.lookups.clear();
        if let Some(plan) = &self.plan {
            let errors = &batch.errors[..batch.len];
            plan.lookup_batch(self.compiled, self.map, rows, errors, &mut batch.lookups);
        }
    }
}

/// Fills `batch` from the reader; returns why reading stopped, if it did
/// (the end of the input, an error, a cancellation).
fn fill<R: Read>(run: &mut Validation<R>, batch: &mut Batch) -> Option<Result<(), Error>> {
    batch.len = 0;
    while batch.len < BATCH {
        if let Some(cancel) = &run.cancel
            && cancel.is_cancelled()
        {
            return Some(Err(Error::new(ErrorKind::Cancelled { rows_read: 0 })));
        }
        if batch.rows.len() == batch.len {
            batch.rows.push(Row::default());
            batch.errors.push(Vec::new());
        }
        match run.reader.read_row(&mut batch.rows[batch.len]) {
            Ok(true) => batch.len += 1,
            Ok(false) => return Some(Ok(())),
            Err(err) => return Some(Err(err)),
        }
    }
    None
}

/// The sequential part of a checked batch, in input order.
fn finish<R: Read, W: Write>(
    batch: &mut Batch,
    run: &mut Validation<R>,
    sink: &mut ErrorSink<W>,
) -> Result<(), Error> {
    // All the batch's table slots at once, so that their misses overlap;
    // then each stretch of rows again shortly before its inserts, as the
    // whole batch's slots outgrow the L1 cache (measured: a fifth less time
    // in the uniqueness sets than the first touch alone).
    run.tally.unique.touch(&batch.hashes);
    let per_row = batch.hashes.len() / batch.len.max(1);
    for i in 0..batch.len {
        if i % RETOUCH_ROWS == RETOUCH_ROWS / 2 {
            let end = ((i + RETOUCH_ROWS) * per_row).min(batch.hashes.len());
            run.tally.unique.touch(&batch.hashes[i * per_row..end]);
        }
        let hashes = &batch.hashes[i * per_row..(i + 1) * per_row];
        let errors = &mut batch.errors[i];
        let ahead = Ahead {
            hashes: Some(hashes),
            lookup: batch.lookups.get_mut(i).and_then(Option::take),
        };
        run.finish_row(&batch.rows[i], ahead, errors)?;
        if !errors.is_empty() {
            sink.write(batch.rows[i].fields(), errors)?;
        }
    }
    Ok(())
}

/// Turns why reading stopped into the run's result; a cancellation reports
/// the rows finished.
fn stopped<R: Read>(stop: Result<(), Error>, run: &Validation<R>) -> Result<(), Error> {
    match stop {
        Err(err) if matches!(err.kind(), ErrorKind::Cancelled { .. }) => {
            Err(Error::new(ErrorKind::Cancelled {
                rows_read: run.tally.report.rows.total,
            }))
        }
        other => other,
    }
}

/// Runs `run` to the end on `threads` threads in all (the calling thread
/// and `threads - 1` workers); see the module docs.
pub(crate) fn validate<R: Read, W: Write>(
    mut run: Validation<R>,
    mut sink: ErrorSink<W>,
    threads: usize,
) -> Result<(ValidationReport, Option<Plan>), Error> {
    let validator = run.validator.clone();
    let map = run.map.clone();
    let hashers = run.tally.unique.hashers();
    let checker = Checker {
        compiled: &validator.inner,
        map: &map,
        relax_required: run.tally.relaxes_required(),
        hashers: &hashers,
        plan: run.tally.planner.as_ref().map(|p| p.view().clone()),
        scratch: Scratch::default(),
    };
    if threads > 1 {
        on_workers(&mut run, &mut sink, threads - 1, checker)?;
    } else {
        on_this_thread(&mut run, &mut sink, checker)?;
    }
    sink.finish()?;
    run.finish_with_plan()
}

fn on_this_thread<R: Read, W: Write>(
    run: &mut Validation<R>,
    sink: &mut ErrorSink<W>,
    mut checker: Checker<'_>,
) -> Result<(), Error> {
    let mut batch = Batch::new();
    loop {
        let stop = fill(run, &mut batch);
        checker.check(&mut batch);
        finish(&mut batch, run, sink)?;
        if let Some(stop) = stop {
            return stopped(stop, run);
        }
    }
}

fn on_workers<R: Read, W: Write>(
    run: &mut Validation<R>,
    sink: &mut ErrorSink<W>,
    workers: usize,
    checker: Checker<'_>,
) -> Result<(), Error> {
    let worker_stopped = || Error::from(std::io::Error::other("validation worker stopped"));
    std::thread::scope(|scope| -> Result<(), Error> {
        let (done_tx, done_rx) = mpsc::channel::<Batch>();
        let mut work = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT_PER_WORKER);
            let done = done_tx.clone();
            let mut checker = Checker {
                plan: checker.plan.clone(),
                scratch: Scratch::default(),
                ..checker
            };
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                for mut batch in rx {
                    checker.check(&mut batch);
                    if done.send(batch).is_err() {
                        return;
                    }
                }
            });
            // A thread the system refuses is done without: the output is
            // the same on any number of threads.
            if spawned.is_err() {
                break;
            }
            work.push(tx);
        }
        drop(done_tx);
        if work.is_empty() {
            return on_this_thread(run, sink, checker);
        }
        let workers = work.len();
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
            let stop = fill(run, &mut batch);
            if batch.len > 0 {
                let worker = (seq % workers as u64) as usize;
                seq += 1;
                order.in_flight += 1;
                if work[worker].send(batch).is_err() {
                    return Err(worker_stopped());
                }
            } else {
                order.free.push(batch);
            }
            // Finish what is ready; wait when too much is in flight or at the end.
            while order.in_flight > 0 {
                let block = stop.is_some() || order.in_flight >= cap;
                let received = if block {
                    Some(done_rx.recv().map_err(|_| worker_stopped())?)
                } else {
                    done_rx.try_recv().ok()
                };
                let Some(batch) = received else { break };
                order.accept(batch, run, sink)?;
            }
            if let Some(stop) = stop {
                return stopped(stop, run);
            }
        }
    })
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
            finish(&mut batch, run, sink)?;
            self.free.push(batch);
        }
        Ok(())
    }
}
