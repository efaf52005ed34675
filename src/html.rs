//! HTML output shared by the guide, the e-mail and host pages: one escaper
//! and one page shell, so that every page escapes the same way.
//!
//! ```
//! use usercsv::html::{Page, escape};
//!
//! let body = format!("<p>{}</p>\n", escape("Smith & <Jones>'s \"team\""));
//! let page = Page::new("Upload <1>").render(&body);
//! assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
//! assert!(page.contains("<title>Upload &lt;1&gt;</title>"));
//! assert!(page.contains("<p>Smith &amp; &lt;Jones&gt;&#39;s &quot;team&quot;</p>"));
//! assert!(page.ends_with("</body>\n</html>\n"));
//! ```

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values:
/// `&`, `<`, `>`, `"` and `'`.
///
/// ```
/// assert_eq!(usercsv::html::escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The style every page shares: readable width, plain tables.
const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}\
code,pre{background:#f4f4f4}pre{padding:.5em;overflow:auto}";

/// A standalone HTML page: doctype, language, charset, title and the
/// shared style around a body the caller has already escaped.
///
/// ```
/// use usercsv::html::Page;
///
/// let mut page = Page::new("Status");
/// page.head("<meta http-equiv=\"refresh\" content=\"2\">");
/// let html = page.render("<h1>Status</h1>\n");
/// assert!(html.contains("<meta http-equiv=\"refresh\" content=\"2\">\n<title>Status</title>"));
/// assert!(html.contains("<body>\n<h1>Status</h1>\n</body>"));
/// ```
#[derive(Clone, Debug)]
pub struct Page {
    title: String,
    head: String,
}

impl Page {
    /// A page with this title (plain text; it is escaped).
    ///
    /// ```
    /// let html = usercsv::html::Page::new("Tom & Jerry").render("");
    /// assert!(html.contains("<title>Tom &amp; Jerry</title>\n"));
    /// assert!(html.ends_with("<body>\n</body>\n</html>\n"));
    /// ```
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            head: String::new(),
        }
    }

    /// Adds markup to the page's `<head>`, before the title (trusted HTML,
    /// not escaped). A missing final newline is added.
    ///
    /// ```
    /// let mut page = usercsv::html::Page::new("T");
    /// page.head("<link rel=\"icon\" href=\"data:,\">").head("<meta name=\"robots\" content=\"noindex\">\n");
    /// let html = page.render("");
    /// assert!(html.contains("<link rel=\"icon\" href=\"data:,\">\n<meta name=\"robots\" content=\"noindex\">\n<title>T</title>"));
    /// ```
    pub fn head(&mut self, html: &str) -> &mut Page {
        self.head.push_str(html);
        if !html.ends_with('\n') {
            self.head.push('\n');
        }
        self
    }

    /// The whole page around `body` (trusted HTML, not escaped). A missing
    /// final newline after `body` is added.
    ///
    /// ```
    /// let html = usercsv::html::Page::new("T").render("<p>a & b</p>");
    /// assert!(html.ends_with("<body>\n<p>a & b</p>\n</body>\n</html>\n"));
    /// assert_eq!(html.matches("<title>").count(), 1);
    /// ```
    pub fn render(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len() + 512);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             {}<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            self.head,
            escape(&self.title)
        );
        out.push_str(body);
        if !body.is_empty() && !body.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}
