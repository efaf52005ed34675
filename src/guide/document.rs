//! The guide's prose and layout: the document the writers render.

use super::model::{Guide, shown};
use crate::ErrorCode;
use crate::dialect::CANDIDATE_DELIMITERS;
use crate::error::delimiter_name;
use crate::markup::{Block, Inline, code, join_inlines, strong, t};
use crate::reader::Limits;

impl Guide {
    pub(super) fn document(&self) -> Vec<Block> {
        let mut doc = vec![
            Block::Heading(1, "How to prepare your user file".into()),
            Block::Para(vec![t(
                "Upload your users as a CSV file: one user per row, with a header row first that names the columns. \
                 This guide lists every column, what it accepts, and the exact message you get for a typical mistake. \
                 The fastest start is the template: it has the header and one example row that passes.",
            )]),
            Block::Heading(2, "Columns at a glance".into()),
        ];
        let mut rows = Vec::new();
        for c in &self.columns {
            let mut name = vec![code(&c.name)];
            if c.key {
                name.push(t(" (key)"));
            }
            let aliases = if c.aliases.is_empty() {
                vec![t("none")]
            } else {
                join_inlines(c.aliases.iter().map(|a| vec![code(a)]).collect(), ", ")
            };
            rows.push(vec![
                name,
                vec![t(if c.required { "yes" } else { "no" })],
                vec![t(&c.accepts.join(" "))],
                aliases,
            ]);
        }
        doc.push(Block::Table(
            vec![
                "Column".into(),
                "Required".into(),
                "What to enter".into(),
                "Also accepted as header".into(),
            ],
            rows,
        ));
        doc.push(Block::Para(vec![t(
            "Header names are matched ignoring upper and lower case, spaces, \"-\", \"_\" and \".\": \
             \"E-mail\", \"e_mail\" and \" Email \" name the same column. The order of the columns does not matter, \
             and columns that are not listed here are ignored (you get a warning). A column that is not required \
             may be left out of the file or left empty in any row.",
        )]));
        doc.push(Block::Heading(2, "Columns in detail".into()));
        for c in &self.columns {
            let mut title = c.name.clone();
            title.push_str(if c.required {
                " (required)"
            } else {
                " (optional)"
            });
            doc.push(Block::Heading(3, title));
            if let Some(description) = &c.description {
                doc.push(Block::Para(vec![t(description)]));
            }
            let mut items = Vec::new();
            let mut what = vec![strong("Accepts:"), t(" ")];
            what.push(t(&c.accepts.join(" ")));
            items.push(what);
            if c.required {
                items.push(vec![
                    strong("Required:"),
                    t(" the column must be in the header and every row needs a value."),
                ]);
            }
            let mut headers = vec![strong("Header names:"), t(" ")];
            headers.extend(join_inlines(
                std::iter::once(&c.name)
                    .chain(&c.aliases)
                    .map(|a| vec![code(a)])
                    .collect(),
                ", ",
            ));
            items.push(headers);
            for example in &c.examples {
                if example.is_valid() {
                    let mut item = vec![strong("Valid example:"), t(" ")];
                    item.extend(shown(&example.value));
                    items.push(item);
                } else {
                    let mut item = vec![strong("Typical mistake:"), t(" ")];
                    item.extend(shown(&example.value));
                    item.push(t(" gets "));
                    item.extend(join_inlines(
                        example.errors.iter().map(|(_, m)| vec![code(m)]).collect(),
                        " and ",
                    ));
                    items.push(item);
                }
            }
            doc.push(Block::List(items));
        }
        if !self.row_rules.is_empty() {
            doc.push(Block::Heading(2, "Rules between rows and columns".into()));
            let mut items = Vec::new();
            for rule in &self.row_rules {
                let mut item = vec![t(&rule.rule), t(" For example ")];
                item.extend(join_inlines(
                    rule.cells
                        .iter()
                        .map(|(col, value)| {
                            let mut cell = vec![t(&format!("{col} "))];
                            cell.extend(shown(value));
                            cell
                        })
                        .collect(),
                    " and ",
                ));
                item.push(t(&format!(" in row {} gets ", rule.row)));
                item.push(code(&rule.message));
                items.push(item);
            }
            doc.push(Block::List(items));
        }
        if let Some(key) = &self.key {
            doc.push(Block::Heading(
                2,
                "The key column: full and delta uploads".into(),
            ));
            doc.push(Block::Para(vec![
                t("The column "),
                code(key),
                t(" identifies each user: a row whose "),
                code(key),
                t(
                    " matches an existing user updates that user, any other row creates a new one. \
                   It must be filled and must not repeat within the file.",
                ),
            ]));
            // An e-mail key (its mistakes are e-mail errors): one mailbox
            // whichever way its domain is spelled.
            let email_key = self.columns.iter().any(|c| {
                c.key
                    && c.examples
                        .iter()
                        .any(|e| e.errors.iter().any(|(code, _)| *code == ErrorCode::Email))
            });
            if email_key {
                doc.push(Block::Para(vec![t(
                    "An address with an international domain is one user however its domain is written: \
                     bücher.de or its ASCII form xn--bcher-kva.de. A row that writes an existing user's \
                     address the other way is refused, with the address to write instead.",
                )]));
            }
            doc.push(Block::List(vec![
                vec![
                    strong("Full upload:"),
                    t(" the file lists every user. All required columns must be present. \
                       Existing users who are not in the file are archived; an upload that would archive an \
                       unusually large share of your users is refused, so a truncated file cannot empty your user list."),
                ],
                vec![
                    strong("Delta upload:"),
                    t(" the file lists only the users to add or change. Only "),
                    code(key),
                    t(" must be in the header; leave out the columns you do not want to change, \
                       or leave their cells empty: an empty cell keeps the stored value. A new user still \
                       needs every required column. Users who are not in the file are left alone."),
                ],
            ]));
        }
        doc.push(Block::Heading(2, "File format".into()));
        let delimiters: Vec<Vec<Inline>> = CANDIDATE_DELIMITERS
            .iter()
            .map(|&d| vec![t(&delimiter_label(d))])
            .collect();
        let mut delimiter_item = vec![strong("Delimiter:"), t(" ")];
        delimiter_item.extend(join_inlines(delimiters, ", "));
        delimiter_item.push(t(
            " are recognised from the header row; Excel's \"CSV\" in your language's settings works as it is.",
        ));
        let limits = Limits::default();
        doc.push(Block::List(vec![
            vec![
                strong("Encoding:"),
                t(" save as \"CSV UTF-8\" (with or without byte-order mark). UTF-16 \
                   (Excel's \"Unicode text\") and Windows-1252 (Excel's plain \"CSV\" on Western Windows) are \
                   also read; a file without a byte-order mark that is not UTF-8 is read as Windows-1252, with a warning. \
                   A file that mixes UTF-8 with another encoding is refused: save the whole file again as \"CSV UTF-8\"."),
            ],
            delimiter_item,
            vec![
                strong("Quotes:"),
                t(" a value that contains the delimiter, a quote or a line break must be in double quotes, \
                   with inner quotes doubled: "),
                code("\"Smith, Jr.\""),
                t(", "),
                code("\"the \"\"A\"\" team\""),
                t(". A quote that is never closed makes the whole file unreadable."),
            ],
            vec![
                strong("Rows:"),
                t(" row numbers are spreadsheet rows: the header is row 1, the first user row 2. Blank rows are \
                   skipped and counted. Spaces around a value are ignored."),
            ],
            vec![
                strong("Size:"),
                t(&format!(
                    " at most {} columns, {} KiB in one cell and {} KiB in one row.",
                    limits.max_columns,
                    limits.max_field_bytes / 1024,
                    limits.max_record_bytes / 1024
                )),
            ],
            vec![
                strong("Spreadsheet pitfalls:"),
                t(" format phone and date columns as text before typing or pasting, so that a spreadsheet \
                   does not turn "),
                code("+31 6 12345678"),
                t(" into "),
                code("3.16123E+10"),
                t(" or a date into a number such as "),
                code("45123"),
                t("."),
            ],
        ]));
        doc.push(Block::Heading(
            2,
            "The error file, and uploading it again".into(),
        ));
        doc.push(Block::Para(vec![t(
            "When some rows fail, you receive an e-mail with the error file attached. It is named after the \
             upload id (the id support asks for) and holds only the rows that failed, exactly as you uploaded \
             them, with one more column at the end: ",
        ), code("errors"), t(". Rows that passed are not in it.")]));
        doc.push(Block::List(vec![
            vec![t("Open the error file in your spreadsheet program.")],
            vec![
                t("Read the "),
                code("errors"),
                t(" column at the end of each row. Each message starts with the column's name, says what \
                   was expected and shows what was found; several messages are separated by "),
                code(";"),
                t("."),
            ],
            vec![t(
                "Fix the values in the row. You can leave the errors column as it is: it is ignored when the \
                 file is read again.",
            )],
            vec![t(
                "Cells that start with =, +, - or @ are written with a leading ' so that the spreadsheet shows \
                 them as text (for example a phone number starting with +). Leave that ' in place; it is removed \
                 when the file is read again.",
            )],
            vec![t(
                "Save the file as CSV and upload it again. Only the fixed rows are in it, so the users that \
                 passed the first time are not uploaded twice.",
            )],
        ]));
        doc.push(Block::Heading(2, "Template".into()));
        doc.push(Block::Para(vec![t(
            "The template has the header in the usual order and one example row that passes:",
        )]));
        doc.push(Block::Code(self.template.clone()));
        doc
    }
}

fn delimiter_label(d: u8) -> String {
    match d {
        b',' => "comma (,)".to_string(),
        b';' => "semicolon (;)".to_string(),
        b'\t' => "tab".to_string(),
        b'|' => "pipe (|)".to_string(),
        _ => delimiter_name(d),
    }
}
