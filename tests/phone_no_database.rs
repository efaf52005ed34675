//! The phone rule never calls into the `phonenumber` crate at run time: not
//! its parser (`phonenumber::parse` goes through its `DATABASE`), not its
//! validator, not its metadata (whose first use parses every region, ~100
//! ms). Every shape a number is written in is parsed and classified on our
//! own tables (`src/rules/phone_tables.rs`).
//!
//! The proof: after validating files and values of every shape, with and
//! without a default region, on one thread and two, the crate's lazily
//! built `DATABASE` was never initialised. This file holds one test only, so
//! that nothing else in its process touches the crate.

use once_cell::sync::Lazy;
use usercsv::generate::{TODAY, UserCsv};
use usercsv::{Schema, ValidatorBuilder};

/// Every shape: E.164, spaces, hyphens, dots, slashes, parentheses, a
/// national prefix in parentheses, `(+CC)`, RFC 3966-like shapes without
/// spaces, extensions, national numbers, junk.
const VALUES: &[&str] = &[
    "+31612345678",
    "+31 6 12345678",
    "+1 650-253-0000",
    "+1-650-253-0000",
    "+1.650.253.0000",
    "+82 10-2000-8237",
    "+7 912 345-67-89",
    "+971 50 123 4567",
    "+44 (0)20 7946 0958",
    "+44 (0)7911 123456",
    "(+44) 7911 123456",
    "+49/151/23456789",
    "+49 (151) 2345-6789",
    "+316-12345678",
    "+31 20 123 4567 ext. 12",
    "+31 20 123 4567 x12",
    "+54 9 11 2345-6789",
    "+55 11 96123-4567",
    "+52 1 55 1234 5678",
    "06 12345678",
    "06-12345678",
    "(06) 12345678",
    "0031 6 12345678",
    "020 123 4567",
    "+31 6 99990001",
    "+999 12345678",
    "+",
    "3.16123E+10",
    "tel:+1-650-253-0000",
];

#[test]
fn validating_phone_numbers_never_touches_the_crate() {
    assert!(
        Lazy::get(&phonenumber::metadata::DATABASE).is_none(),
        "initialised before the test"
    );
    let international = ValidatorBuilder::new()
        .today(TODAY)
        .build(&Schema::users())
        .unwrap();
    let dutch = ValidatorBuilder::new()
        .today(TODAY)
        .phone_region(Some("NL"))
        .build(&Schema::users())
        .unwrap();
    for validator in [&international, &dutch] {
        for value in VALUES {
            let _ = validator.check_value("businessMobilePhone", value);
            let _ = validator.normalize("businessMobilePhone", value);
        }
        // The template's example number.
        let template = validator.template_csv();
        assert!(
            validator
                .validate_reader(template.as_bytes(), None)
                .unwrap()
                .is_valid()
        );
    }
    // Whole files in the generator's mixed shapes, 60 countries, 10% invalid.
    let spec = UserCsv::new(3_000).phone_countries(60).invalid_share(0.1);
    let csv = spec.to_bytes();
    for threads in [1, 2] {
        let report = international
            .validation()
            .threads(threads)
            .validate(&csv[..], None)
            .unwrap();
        assert_eq!(report.rows.total, 3_000);
    }
    assert!(
        Lazy::get(&phonenumber::metadata::DATABASE).is_none(),
        "validation initialised the phonenumber crate's DATABASE"
    );
}
