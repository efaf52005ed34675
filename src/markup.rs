//! A tiny document model (headings, paragraphs, lists, tables, code) with
//! Markdown and HTML writers, for the generated guide.

use std::fmt::Write as _;

use crate::html::{Page, escape as escape_html};

#[derive(Clone, Debug)]
pub(crate) enum Inline {
    Text(String),
    Code(String),
    Strong(String),
}

pub(crate) fn t(text: &str) -> Inline {
    Inline::Text(text.to_string())
}

pub(crate) fn code(text: &str) -> Inline {
    Inline::Code(text.to_string())
}

pub(crate) fn strong(text: &str) -> Inline {
    Inline::Strong(text.to_string())
}

pub(crate) fn join_inlines(parts: Vec<Vec<Inline>>, sep: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(t(sep));
        }
        out.extend(part);
    }
    out
}

#[derive(Clone, Debug)]
pub(crate) enum Block {
    Heading(u8, String),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table(Vec<String>, Vec<Vec<Vec<Inline>>>),
    Code(String),
}

impl Inline {
    pub(crate) fn to_markdown(&self) -> String {
        match self {
            Inline::Text(s) => escape_markdown(s),
            Inline::Strong(s) => format!("**{}**", escape_markdown(s)),
            Inline::Code(s) => {
                // A fence longer than any run of backticks inside.
                let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest + 1);
                let pad = if s.starts_with('`')
                    || s.ends_with('`')
                    || s.starts_with(' ') && s.ends_with(' ')
                {
                    " "
                } else {
                    ""
                };
                format!("{fence}{pad}{s}{pad}{fence}")
            }
        }
    }

    fn to_html(&self) -> String {
        match self {
            Inline::Text(s) => escape_html(s),
            Inline::Strong(s) => format!("<strong>{}</strong>", escape_html(s)),
            Inline::Code(s) => format!("<code>{}</code>", escape_html(s)),
        }
    }
}

fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn markdown_inlines(inlines: &[Inline]) -> String {
    inlines.iter().map(Inline::to_markdown).collect()
}

fn html_inlines(inlines: &[Inline]) -> String {
    inlines.iter().map(Inline::to_html).collect()
}

/// The document as CommonMark with GitHub tables.
pub(crate) fn to_markdown(doc: &[Block]) -> String {
    let mut out = String::new();
    for block in doc {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(
                    out,
                    "{} {}\n",
                    "#".repeat(usize::from(*level)),
                    escape_markdown(text)
                );
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "{}\n", markdown_inlines(inlines));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", markdown_inlines(item));
                }
                out.push('\n');
            }
            Block::Table(header, rows) => {
                let _ = writeln!(out, "| {} |", header.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| markdown_inlines(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Code(text) => {
                let _ = writeln!(out, "```csv\n{}```\n", text);
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The document as a standalone HTML page titled by its first heading.
pub(crate) fn to_html(doc: &[Block]) -> String {
    let title = doc
        .iter()
        .find_map(|b| match b {
            Block::Heading(1, text) => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or("Guide");
    let mut out = String::new();
    for block in doc {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape_html(text));
            }
            Block::Para(inlines) => {
                let _ = writeln!(out, "<p>{}</p>", html_inlines(inlines));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", html_inlines(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(header, rows) => {
                out.push_str("<table>\n<tr>");
                for h in header {
                    let _ = write!(out, "<th>{}</th>", escape_html(h));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", html_inlines(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Code(text) => {
                let _ = writeln!(out, "<pre><code>{}</code></pre>", escape_html(text));
            }
        }
    }
    Page::new(title).render(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b").to_markdown(), "``a`b``");
        assert_eq!(code("`a").to_markdown(), "`` `a ``");
        assert_eq!(code("plain").to_markdown(), "`plain`");
    }
}
