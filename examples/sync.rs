//! Plan a delta upload and a full sync against the users a host already
//! has, through `ExistingUsers` implemented over the host's own store.
//!
//! ```text
//! cargo run --example sync
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::error::Error;

use usercsv::{ExistingUsers, Mode, Schema, Validator};

/// The host's user table: normalised key → (schema column → normalised value).
#[derive(Default)]
struct Store {
    users: BTreeMap<String, BTreeMap<String, String>>,
}

impl Store {
    /// Stores a user, normalising key and values with the schema's rules.
    fn add(&mut self, validator: &Validator, values: &[(&str, &str)]) {
        let key = validator.normalize_key(values[0].1).expect("a key");
        let row = values
            .iter()
            .map(|&(column, value)| {
                (
                    column.to_string(),
                    validator.normalize(column, value).unwrap_or_default(),
                )
            })
            .collect();
        self.users.insert(key, row);
    }
}

impl ExistingUsers for Store {
    fn len(&self) -> usize {
        self.users.len()
    }
    fn contains(&self, key: &str) -> bool {
        self.users.contains_key(key)
    }
    fn same_value(&self, key: &str, column: &str, normalized: &str) -> bool {
        let stored = self.users.get(key).and_then(|user| user.get(column));
        stored.map_or("", String::as_str) == normalized
    }
    fn keys(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        Box::new(self.users.keys().map(|key| Cow::Borrowed(key.as_str())))
    }
}

fn store(validator: &Validator) -> Store {
    let mut store = Store::default();
    for (email, first, last, mobile) in [
        ("ada@example.com", "Ada", "Lovelace", "+31 6 12345678"),
        ("alan@example.com", "Alan", "Turing", "+31 6 87654321"),
        ("grace@example.com", "Grace", "Hopper", ""),
    ] {
        let values = [
            ("email", email),
            ("firstName", first),
            ("lastName", last),
            ("businessMobilePhone", mobile),
        ];
        store.add(validator, &values);
    }
    store
}

fn main() -> Result<(), Box<dyn Error>> {
    let validator = Validator::new(&Schema::users())?;

    // Delta: only changed users, only some columns.
    let delta = "\
email,businessMobilePhone
ADA@example.com,+31 6 12345678
alan@example.com,+31 6 11112222
edsger@example.com,+31 6 33334444
";
    let mut run = validator.validation();
    run.existing(store(&validator)).mode(Mode::Delta);
    let (report, plan) = run.validate_with_plan(delta.as_bytes(), None)?;
    let counts = report.plan.expect("a plan");
    println!(
        "delta: {} create, {} update, {} unchanged, {} archive",
        counts.create, counts.update, counts.unchanged, counts.archive
    );
    for error in &report.errors {
        println!("  row {} {}: {}", error.row, error.code, error.message);
    }
    assert_eq!((counts.create, counts.update, counts.unchanged), (0, 1, 1));
    assert_eq!(report.errors[0].code.as_str(), "required"); // a new user needs names
    assert!(plan.expect("a plan").archive.is_empty());

    // Full: every user, every required column; missing users are archived.
    let full = "\
email,firstName,lastName,businessMobilePhone
ada@example.com,Ada,Lovelace,+31 6 12345678
alan@example.com,Alan,Turing,
edsger@example.com,Edsger,Dijkstra,+31 6 33334444
";
    let mut run = validator.validation();
    run.existing(store(&validator)).mode(Mode::Full);
    let (report, plan) = run.validate_with_plan(full.as_bytes(), None)?;
    let plan = plan.expect("a plan");
    let counts = plan.counts;
    println!(
        "full: {} create, {} update, {} unchanged, {} archive",
        counts.create, counts.update, counts.unchanged, counts.archive
    );
    println!(
        "  archive: {}",
        plan.archive_keys().collect::<Vec<_>>().join(", ")
    );
    println!(
        "{}",
        report
            .notification()
            .body
            .lines()
            .find(|l| l.starts_with("Effect"))
            .unwrap_or("")
    );
    assert_eq!(
        (
            counts.create,
            counts.update,
            counts.unchanged,
            counts.archive
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(plan.archive, ["grace@example.com"]);
    Ok(())
}
