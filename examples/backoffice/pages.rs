//! The admin's pages: maud templates (escaped by default) in one layout.
//! Live progress is a meta refresh: the pages run no script at all.

use maud::{DOCTYPE, Markup, html};

use super::store::User;
use super::web::{ListItem, StatusView};

/// The stylesheet every page links to (`/style.css`), so the CSP needs no
/// inline style for our own pages.
pub const STYLE: &str = "body{font-family:sans-serif;max-width:64em;margin:1em auto;padding:0 1em;line-height:1.4}\
nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
.held{background:#fff4d6;padding:.5em 1em;border:1px solid #e0b000}.problem{background:#fde8e8;padding:.5em 1em}\
form.inline{display:inline}progress{width:20em}.wide{overflow-x:auto}";

/// The shared layout: title, navigation between upload, uploads, users
/// and guide, and the page's content.
pub fn layout(title: &str, refresh: bool, body: Markup) -> Markup {
    layout_every(title, refresh.then_some(2), body)
}

/// [`layout`], refreshing every `refresh` seconds when given.
pub fn layout_every(title: &str, refresh: Option<u32>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh { meta http-equiv="refresh" content=(seconds); }
                title { (title) " · User import" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                nav {
                    a href="/" { "Upload" }
                    a href="/uploads" { "Uploads" }
                    a href="/users" { "Users" }
                    a href="/guide" { "Guide" }
                    a href="/template.csv" { "Template" }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// Sizes as people read them: `20 MiB`, `1.5 KiB`, `512 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if (value - value.round()).abs() < 0.05 {
        format!("{:.0} {}", value.round(), UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn index(max_upload_bytes: u64) -> Markup {
    layout(
        "Upload users",
        false,
        html! {
            p {
                "Upload a CSV file with one user per row. New users are created and existing users \
                 are updated; only the columns in your file change (a file with "
                code { "email,department" } " changes departments only). Nobody is archived."
            }
            p {
                "Before you start, download the " a href="/template.csv" { "template" }
                " and read the " a href="/guide" { "guide" } "."
            }
            form method="post" action="/uploads" enctype="multipart/form-data" {
                input type="file" name="file" accept=".csv,text/csv" required;
                " "
                button type="submit" { "Upload" }
            }
            p {
                "Files up to " (human_bytes(max_upload_bytes)) ". Excel or LibreOffice files: "
                "save them as CSV UTF-8 first. You can keep working while the file is processed: "
                "you will receive an e-mail."
            }
        },
    )
}

fn mode_text(mode: &str) -> &'static str {
    match mode {
        "full" => "Full sync: users missing from the file are archived",
        _ => "Update: creates and updates users, archives nobody",
    }
}

fn status_text(status: &str) -> &'static str {
    match status {
        "queued" => "Waiting to be processed",
        "running" => "Being processed",
        "done" => "Done",
        "held" => "Held: waiting for approval",
        "failed" => "Failed",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

pub fn status(view: &StatusView, errors_shown: usize) -> Markup {
    let running = matches!(view.status.as_str(), "queued" | "running");
    // The page refreshes until the e-mail is sent or given up: every 2 s
    // while the upload runs and until the first attempt (which follows the
    // end within a moment), every 15 s while a failed attempt waits for
    // its retry, so that it never stops on "being sent" or "retrying".
    let refresh = match (running, view.email.status.as_str(), view.email.attempts) {
        (true, _, _) | (false, "pending", 0) => Some(2),
        (false, "pending", _) => Some(15),
        _ => None,
    };
    layout_every(
        "Upload status",
        refresh,
        html! {
            table {
                tr { th { "File" } td { (view.file_name) " (" (human_bytes(view.size)) ")" } }
                tr { th { "Upload id" } td { code { (view.id) } } }
                tr { th { "Source" } td { (if view.source == "sftp" { "SFTP drop folder" } else { "Web upload" }) } }
                tr { th { "Mode" } td { (mode_text(&view.mode)) } }
                tr { th { "Status" } td { strong { (status_text(&view.status)) } } }
                tr { th { "Received" } td { (view.created_at) } }
                tr { th { "E-mail" } td { (match view.email.status.as_str() {
                    "sent" => "sent",
                    "pending" if view.email.attempts == 0 => "being sent",
                    "pending" => "not sent yet; retrying",
                    "failed" => "could not be sent; the result below is complete",
                    _ if view.status == "cancelled" => "none: a cancelled upload sends none",
                    _ => "not yet",
                }) } }
            }
            @if running {
                p {
                    "Rows read: " (view.progress.rows)
                    @if let Some(fraction) = view.progress.fraction {
                        " (" (format!("{:.0}", fraction * 100.0)) "% of the file) "
                        progress max="100" value=(format!("{:.0}", fraction * 100.0)) {}
                    }
                }
                form.inline method="post" action={ "/uploads/" (view.id) "/cancel" } {
                    button type="submit" { "Cancel" }
                }
            }
            @if let Some(problem) = &view.problem { p.problem { (problem) } }
            @for message in &view.file_errors {
                p.problem { "The file could not be read, so nothing was changed: " (message) }
            }
            @if let Some(held) = &view.held {
                div.held {
                    p {
                        strong { "Nothing was changed yet." }
                        " This full sync would archive " (held.archive) " of "
                        (held.existing) " active users, more than the safety limit allows."
                    }
                    p { (held.message) }
                    @if !held.would_archive.is_empty() {
                        p {
                            strong { "Would be archived: " } (held.would_archive.join(", "))
                            @if held.archive > held.would_archive.len() as u64 {
                                " and " (held.archive - held.would_archive.len() as u64) " more"
                            }
                        }
                    }
                    @if view.status == "held" {
                        form.inline method="post" action={ "/uploads/" (view.id) "/approve" } {
                            button type="submit" { "Approve and apply" }
                        }
                        " "
                        form.inline method="post" action={ "/uploads/" (view.id) "/cancel" } {
                            button type="submit" { "Discard" }
                        }
                    }
                }
            }
            @if let Some(rows) = &view.rows {
                h2 { "Rows" }
                table {
                    tr { th { "Total" } th { "Valid" } th { "With errors" } th { "Blank (skipped)" } }
                    tr { td { (rows.total) } td { (rows.valid) } td { (rows.invalid) } td { (rows.blank) } }
                }
            }
            @if let Some(plan) = &view.plan {
                h2 { @if view.applied.is_some() { "Changes" } @else { "Changes (not applied)" } }
                table {
                    tr { th {} th { "Created" } th { "Updated" } th { "Unchanged" } th { "Archived" } }
                    tr { th { "Planned" } td { (plan.create) } td { (plan.update) } td { (plan.unchanged) } td { (plan.archive) } }
                    @if let Some(applied) = &view.applied {
                        tr { th { "Applied" } td { (applied.created) } td { (applied.updated) } td { (applied.unchanged) } td { (applied.archived) } }
                    }
                }
            }
            @if let (Some(changes), Some(applied)) = (&view.changes, &view.applied) {
                @for (label, keys, total) in [
                    ("Created", &changes.created, applied.created),
                    ("Updated", &changes.updated, applied.updated),
                    ("Archived", &changes.archived, applied.archived),
                ] {
                    @if !keys.is_empty() {
                        p {
                            strong { (label) ": " } (keys.join(", "))
                            @if total > keys.len() as u64 { " and " (total - keys.len() as u64) " more" }
                        }
                    }
                }
            }
            @if !view.error_groups.is_empty() {
                h2 { "Errors by column" }
                table {
                    tr { th { "Column" } th { "Problem" } th { "Errors" } }
                    @for group in &view.error_groups {
                        tr { td { (group.column.as_deref().unwrap_or("(row)")) } td { code { (group.code) } } td { (group.count) } }
                    }
                }
            }
            @if !view.errors.is_empty() {
                h2 { "First errors" }
                table {
                    tr { th { "Row" } th { "Column" } th { "Value" } th { "Message" } }
                    @for error in view.errors.iter().take(errors_shown) {
                        tr {
                            td { (error.row) }
                            td { (error.column.as_deref().unwrap_or("")) }
                            td { (error.value.as_deref().unwrap_or("")) }
                            td { (error.message) }
                        }
                    }
                }
            }
            @if let Some(url) = &view.errors_csv_url {
                p {
                    a href=(url) { "Download the rows to fix" }
                    " (" (view.file_name) " with an " code { "errors" } " column), fix the values, and upload it again."
                }
            }
            p { a href="/uploads" { "All uploads" } " · " a href="/users" { "Users" } " · " a href="/" { "Upload another file" } }
        },
    )
}

pub fn uploads(items: &[ListItem]) -> Markup {
    layout(
        "Uploads",
        false,
        html! {
            @if items.is_empty() { p { "No uploads yet." } }
            @else {
                table {
                    tr { th { "Received" } th { "File" } th { "Source" } th { "Mode" } th { "Status" } th { "Rows" } }
                    @for item in items {
                        tr {
                            td { (item.created_at) }
                            td { a href={ "/uploads/" (item.id) } { (item.file_name) } }
                            td { (item.source) }
                            td { (item.mode) }
                            td { (status_text(&item.status)) }
                            td { @if let Some(rows) = &item.rows { (rows.total) } }
                        }
                    }
                }
            }
        },
    )
}

pub fn users(columns: &[String], users: &[User], q: &str, status: &str) -> Markup {
    layout(
        "Users",
        false,
        html! {
            form method="get" action="/users" {
                input type="search" name="q" value=(q) placeholder="Search";
                " "
                select name="status" {
                    option value="" selected[status.is_empty()] { "All" }
                    option value="active" selected[status == "active"] { "Active" }
                    option value="archived" selected[status == "archived"] { "Archived" }
                }
                " "
                button type="submit" { "Search" }
            }
            p { (users.len()) " users" }
            div.wide { table {
                tr { @for c in columns { th { (c) } } th { "status" } }
                @for user in users {
                    tr {
                        @for c in columns {
                            td { (super::web::user_value(user, c)) }
                        }
                        td { (user.status) }
                    }
                }
            } }
        },
    )
}

/// A message page for a refused request.
pub fn message(title: &str, text: &str) -> Markup {
    layout(
        title,
        false,
        html! {
            p.problem { (text) }
            p { a href="/" { "Back to the upload page" } }
        },
    )
}
