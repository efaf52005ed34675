//! The built-in user schema.

use crate::schema::{Column, DateRule, LengthRule, PhoneRule, Schema};

impl Schema {
    /// The built-in schema for user uploads.
    ///
    /// | column | required | rules |
    /// |---|---|---|
    /// | email | yes | e-mail; unique in the file, case-insensitive; the key |
    /// | firstName | yes | length 1-100 |
    /// | lastName | yes | length 1-100 |
    /// | businessMobilePhone | no | phone, mobile only, international `+CC` unless a region is set |
    /// | employeeNumber | no | unique; length up to 50 |
    /// | birthDate | no | date `YYYY-MM-DD`, not in the future |
    /// | startDate | no | date `YYYY-MM-DD` |
    /// | endDate | no | date `YYYY-MM-DD`, not before startDate |
    /// | language | no | one of en, nl, de, fr, es (case-insensitive) |
    /// | department | no | length up to 100 |
    ///
    /// ```
    /// let schema = usercsv::Schema::users();
    /// assert_eq!(schema.key.as_deref(), Some("email"));
    /// assert!(schema.column("email").unwrap().required);
    /// ```
    pub fn users() -> Schema {
        let iso_date = || DateRule {
            formats: vec!["YYYY-MM-DD".to_string()],
            ..DateRule::default()
        };
        let names = LengthRule {
            min: Some(1),
            max: Some(100),
        };
        Schema::builder()
            .key("email")
            .column(
                Column::new("email")
                    .required()
                    .alias("E-mail")
                    .alias("Email address")
                    .alias("E-mail address")
                    .alias("Mail")
                    .description("The user's work e-mail address; identifies the user.")
                    .example("ada.lovelace@example.com")
                    .email()
                    .unique_ignore_case(),
            )
            .column(
                Column::new("firstName")
                    .required()
                    .alias("First name")
                    .alias("Given name")
                    .alias("Firstname")
                    .description("Given name.")
                    .example("Ada")
                    .length(names.clone()),
            )
            .column(
                Column::new("lastName")
                    .required()
                    .alias("Last name")
                    .alias("Surname")
                    .alias("Family name")
                    .description("Family name.")
                    .example("Lovelace")
                    .length(names),
            )
            .column(
                Column::new("businessMobilePhone")
                    .alias("Mobile phone")
                    .alias("Mobile")
                    .alias("Business mobile")
                    .alias("Mobile number")
                    .alias("Phone")
                    .description("Business mobile number in international format, starting with + and the country code.")
                    .example("+31 6 12345678")
                    .phone(PhoneRule {
                        default_region: None,
                        mobile_only: true,
                    }),
            )
            .column(
                Column::new("employeeNumber")
                    .alias("Employee number")
                    .alias("Employee ID")
                    .alias("Personnel number")
                    .description("The HR system's employee number; unique.")
                    .example("E-1001")
                    .unique()
                    .length(LengthRule {
                        min: None,
                        max: Some(50),
                    }),
            )
            .column(
                Column::new("birthDate")
                    .alias("Birth date")
                    .alias("Date of birth")
                    .alias("Birthday")
                    .example("1990-12-10")
                    .date(DateRule {
                        not_in_future: true,
                        ..iso_date()
                    }),
            )
            .column(
                Column::new("startDate")
                    .alias("Start date")
                    .alias("Hire date")
                    .example("2024-01-15")
                    .date(iso_date()),
            )
            .column(
                Column::new("endDate")
                    .alias("End date")
                    .alias("Leave date")
                    .example("2030-12-31")
                    .date(iso_date()),
            )
            .column(
                Column::new("language")
                    .alias("Lang")
                    .alias("Locale")
                    .example("en")
                    .one_of_ignore_case(["en", "nl", "de", "fr", "es"]),
            )
            .column(
                Column::new("department")
                    .alias("Dept")
                    .alias("Team")
                    .example("Engineering")
                    .length(LengthRule {
                        min: None,
                        max: Some(100),
                    }),
            )
            .date_order("startDate", "endDate")
            .build()
    }
}
