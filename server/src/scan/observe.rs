//! What the browser saw on one visit of one page in one pass: the cookie jar, the storage
//! keys, every write with the script or response that made it, every request with what
//! caused it. Plain data: the driver (`visit`) fills it, `findings` judges it.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use kelisim_shared::policy::StorageKind;
use serde::{Deserialize, Serialize};

/// The three passes over every page, each in a fresh browser profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    /// No choice made: what a visitor gets before answering the banner (Art. 7 p.1).
    Before,
    /// After the banner's Accept all.
    Accept,
    /// After the banner's Reject all.
    Reject,
}

impl Pass {
    pub const ALL: [Pass; 3] = [Pass::Before, Pass::Accept, Pass::Reject];

    pub fn label(self) -> &'static str {
        match self {
            Pass::Before => "before any choice",
            Pass::Accept => "after Accept all",
            Pass::Reject => "after Reject all",
        }
    }

    /// The banner button this pass clicks (W12).
    pub fn action(self) -> Option<&'static str> {
        match self {
            Pass::Before => None,
            Pass::Accept => Some("accept-all"),
            Pass::Reject => Some("reject-all"),
        }
    }
}

/// What made a cookie, a storage key or a request, as far as the protocol tells.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Cause {
    /// A script file (document.cookie, localStorage.setItem, cookieStore.set, fetch, …).
    /// `gated`: the script is marked `data-category` and was enabled by Kelisim for it.
    Script {
        url: String,
        line: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gated: Option<String>,
    },
    /// A script written inside the page itself.
    InlineScript {
        page: String,
        line: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gated: Option<String>,
    },
    /// A `Set-Cookie` header in the response to this URL.
    Response { url: String },
    /// An element of the page's HTML: `<img>`, `<iframe>`, `<script src>`, `<link>`…
    Element { element: String, page: String, line: Option<u32> },
    /// The protocol did not say.
    Unknown,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = |l: &Option<u32>| l.map(|l| format!(" line {l}")).unwrap_or_default();
        let gated =
            |g: &Option<String>| g.as_ref().map(|c| format!(" (enabled by Kelisim for `{c}`)")).unwrap_or_default();
        match self {
            Cause::Script { url, line: l, gated: g } => write!(f, "script {url}{}{}", line(l), gated(g)),
            Cause::InlineScript { page, line: l, gated: g } => {
                write!(f, "inline script in {page}{}{}", line(l), gated(g))
            }
            Cause::Response { url } => write!(f, "Set-Cookie in the response to {url}"),
            Cause::Element { element, page, line: l } => write!(f, "<{element}> in {page}{}", line(l)),
            Cause::Unknown => f.write_str("not seen (a frame or worker the scanner cannot see into)"),
        }
    }
}

/// A cookie in the jar at the end of a visit. Its value is never read into the scan.
#[derive(Clone, Debug, PartialEq)]
pub struct JarCookie {
    pub name: String,
    pub domain: String,
    pub path: String,
    /// Unix time in seconds; `None` for a session cookie.
    pub expires: Option<f64>,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: Option<String>,
}

/// A localStorage or sessionStorage key of the page's origin at the end of a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub kind: StorageKind,
    pub origin: String,
    pub name: String,
}

/// A write the scanner watched happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub kind: StorageKind,
    pub name: String,
    pub cause: Cause,
    /// Made after the scanner clicked the banner on this visit.
    pub after_choice: bool,
}

/// A request the page (or a frame in it) made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    /// The protocol's resource type, lower case: document, script, image, xhr, fetch, ping…
    pub resource: String,
    pub cause: Cause,
    pub after_choice: bool,
}

/// One page in one pass.
#[derive(Clone, Debug, Default)]
pub struct Visit {
    pub page: String,
    /// Where the page ended up after redirects (`location.href`).
    pub landed: Option<String>,
    /// Why the page could not be scanned (it did not load, timed out, is not HTML…).
    pub error: Option<String>,
    pub status: Option<u16>,
    /// Accept and Reject passes: whether the banner's button was found and clicked on this
    /// visit (`None`: this visit had nothing to click, a choice was already stored).
    pub clicked: Option<bool>,
    /// The page was still loading something when the time for it ran out.
    pub busy: bool,
    pub cookies: Vec<JarCookie>,
    pub storage: Vec<StoredKey>,
    pub writes: Vec<Write>,
    pub requests: Vec<Request>,
    /// Links on the page (absolute URLs), for the first pass to follow.
    pub links: Vec<String>,
}

/// Where the page's HTML, as the server sends it, puts the Kelisim loader: read from the
/// first page of the first pass (`visit::Tab::placement`). Scripts placed before the loader
/// run before Kelisim can hold anything back, and an `async` or `defer` loader runs after
/// the page's other scripts; the Install page's "Check my site" shows both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The page checked (the address the scan started from, after redirects).
    pub page: String,
    /// The HTML has a `<script src="…/kelisim.js">`.
    pub found: bool,
    /// …inside `<head>`.
    #[serde(default)]
    pub in_head: bool,
    /// …with `async` or `defer`.
    #[serde(default)]
    pub deferred: bool,
    /// Its `data-site`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Scripts that run before it, in document order: a script's URL, or `inline: ` and the
    /// start of its code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// Why the HTML could not be read (then nothing else is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Placement {
    /// The loader is the first script of `<head>` and runs as soon as it is parsed.
    pub fn is_first(&self) -> bool {
        self.error.is_none() && self.found && self.in_head && !self.deferred && self.before.is_empty()
    }
}
