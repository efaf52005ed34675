//! A cookbook: complete programs for the common tasks.
//!
//! Each recipe is a file in the repository's `examples/` directory, shown
//! here whole; its output is checked by `tests/examples.rs`, and the
//! program itself runs as a test of this page. For the ideas behind them,
//! read the [tutorial](crate::tutorial) first.
//!
//! # List of recipes
//!
//! 1. [Validate a file](#validate-a-file)
//! 2. [Stream outcomes and write the error CSV in one pass](#stream-outcomes-and-write-the-error-csv-in-one-pass)
//! 3. [A schema in TOML and in code](#a-schema-in-toml-and-in-code)
//! 4. [Delta and full sync against your user store](#delta-and-full-sync-against-your-user-store)
//! 5. [The admin's e-mail](#the-admins-e-mail)
//! 6. [Progress and cancellation](#progress-and-cancellation)
//! 7. [Threads](#threads)
//!
//! # Validate a file
//!
//! Validates `examples/users.csv` (ten users, six with mistakes) with the
//! built-in user schema, prints each error's row, column and code, and saves
//! the failed rows as `<id>.csv`. This is what `usercsv validate` does; use it
//! when the upload is a file on disk. The file is streamed, never read whole.
//!
//! ```text
//! cargo run --example validate_file -- examples/users.csv
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/validate_file.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/validate_file.txt"), "```\n")]
//!
//! # Stream outcomes and write the error CSV in one pass
//!
//! Reads the upload once: each valid row is imported with its normalised
//! values, each failed row goes to the error CSV through an `ErrorCsvWriter`.
//! Use it when the host imports while validating. The header uses aliases
//! (`E-mail`, `Surname`, `Mobile`) and `;` as delimiter; both are detected,
//! and the error CSV keeps them.
//!
//! ```text
//! cargo run --example stream_outcomes
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/stream_outcomes.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/stream_outcomes.txt"), "```\n")]
//!
//! # A schema in TOML and in code
//!
//! The same custom schema, once in TOML and once with `Schema::builder`
//! (they compare equal): an employee number as key with a pattern and
//! uniqueness, dates in two formats, and a date-order rule. Use TOML when
//! operators edit the rules, code when the host owns them.
//!
//! ```text
//! cargo run --example schema_toml
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/schema_toml.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/schema_toml.txt"), "```\n")]
//!
//! # Delta and full sync against your user store
//!
//! Implements `ExistingUsers` over a host's store (a map standing in for a
//! database), then plans a delta upload (only changed users, only some
//! columns) and a full sync (every user; the missing ones are archived).
//!
//! ```text
//! cargo run --example sync
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/sync.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/sync.txt"), "```\n")]
//!
//! # The admin's e-mail
//!
//! Builds the MIME message for a report with the `mail` feature: the
//! notification text and the error CSV attached as `<id>.csv`. Write its
//! bytes as an `.eml` file or send it with a lettre transport.
//!
//! ```text
//! cargo run --example email
//! ```
//!
#![cfg_attr(
    feature = "mail",
    doc = concat!("```\n", include_str!("../examples/email.rs"), "```\n")
)]
#![cfg_attr(
    not(feature = "mail"),
    doc = "(Build the documentation with the `mail` feature to see this program.)\n"
)]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/email.txt"), "```\n")]
//!
//! # Progress and cancellation
//!
//! Validates in a background thread while the main thread polls a
//! `Progress` handle, as a status page would; then cancels a run under way
//! (an upload that never ends) with a `CancelToken`.
//!
//! ```text
//! cargo run --example progress
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/progress.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/progress.txt"), "```\n")]
//!
//! # Threads
//!
//! Validates a generated file of 5,000 users with one thread and with
//! four, and checks that the report and the error CSV are identical.
//!
//! ```text
//! cargo run --example threads
//! ```
//!
#![doc = concat!("```\n", include_str!("../examples/threads.rs"), "```\n")]
//!
//! It prints:
//!
#![doc = concat!("```text\n", include_str!("../examples/output/threads.txt"), "```\n")]
//!
