//! What `site check` finds wrong in a site policy file, in no language: each kind of problem
//! with its values. [`Problem::en`] words it in English (the CLI, [`PolicyError::message`]);
//! the dashboard words it in the language of its page.
//!
//! [`PolicyError::message`]: super::PolicyError::message

use crate::appearance::Fault;
use crate::lang::Lang;

/// One problem at a field. Values quoted from the file are already shortened for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The text is not TOML; the parser's own explanation.
    Syntax(String),
    /// The TOML does not have the policy's shape: what kind of mismatch, and serde's explanation.
    Shape(Shape, String),
    Todo,
    TooLong {
        n: usize,
        max: usize,
    },
    TooMany {
        n: usize,
        max: usize,
    },
    Missing,
    Empty,
    EmptyList,
    /// A list with `n` items where the first language, `first`, has `first_n`.
    ItemCount {
        n: usize,
        first: Lang,
        first_n: usize,
    },
    /// A text given in a language the site does not list.
    NotOffered(Lang),
    Country(String),
    Url(String),
    /// The site's `id` is not a slug.
    SiteSlug,
    NoOrigin,
    Origin(String, OriginFault),
    MustInclude(Lang),
    /// A language, or a `[[review]]` name, listed twice.
    Twice(String),
    ConsentDays,
    Retention {
        retention: u32,
        consent: u32,
    },
    TimeZone(String),
    Appearance(Fault),
    Bin(String),
    Email(String),
    Phone(String),
    NoContact,
    NoCategory,
    NoRequired,
    SecondRequired,
    /// A category's `id` that is not a slug.
    CategorySlug(String),
    CategoryTaken(String),
    GpcOffRequired,
    TransferWithoutCountries,
    CountriesWithoutTransfer,
    /// A recipient in this country, which `cross_border` does not list.
    Abroad(String),
    ServiceTaken(String),
    ServiceSlug(String),
    /// A service id the catalogue does not know, and the catalogue id it may have meant.
    NotInCatalogue(String, Option<String>),
    /// A catalogue tracker (its catalogue category) in the required category.
    TrackerRequired(String, String),
    CookieName(String),
    StorageKey,
    SuggestedCategory(String),
    CookiePattern(String),
    /// A note, not an error: a visitor text that reads like a note for the operator (the phrase).
    Note(String),
    /// A note, not an error: a `[[review]]` entry waiting for a person.
    Review {
        kind: super::StorageKind,
        name: String,
        suggested: Option<String>,
    },
}

/// What kind of mismatch between the TOML and the policy's shape serde reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A value of the wrong type or an unknown variant (`invalid type`, `invalid value`,
    /// `unknown variant`).
    Type,
    UnknownField,
    MissingField,
    Duplicate,
    Other,
}

impl Shape {
    /// The kind of serde's message.
    pub fn of(detail: &str) -> Shape {
        let wrong = ["invalid type", "invalid value", "invalid length", "unknown variant"];
        if wrong.iter().any(|w| detail.starts_with(w)) {
            Shape::Type
        } else if detail.starts_with("unknown field") {
            Shape::UnknownField
        } else if detail.starts_with("missing field") {
            Shape::MissingField
        } else if detail.starts_with("duplicate") {
            Shape::Duplicate
        } else {
            Shape::Other
        }
    }
}

/// Why an entry of `origins` is not an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginFault {
    NoScheme,
    NotBare,
    Uppercase,
}

pub(super) const SLUG: &str = "1–32 of a-z, 0-9, `_`, `-`, starting with a letter";

impl Problem {
    /// What `site check` says, after the field.
    pub fn en(&self) -> String {
        use Problem::*;
        match self {
            Syntax(d) => format!("is not valid TOML: {d}"),
            Shape(_, d) => d.clone(),
            Todo => "is still a TODO: replace it with the site's own text".into(),
            TooLong { n, max } => format!("is {n} characters long; at most {max} are allowed"),
            TooMany { n, max } => format!("has {n} entries; at most {max} are allowed"),
            Missing => "is missing".into(),
            Empty => "is empty".into(),
            EmptyList => "is an empty list".into(),
            ItemCount { n, first, first_n } => format!(
                "has {n} items but `{}` has {first_n}: each language must list the same items",
                first.code()
            ),
            NotOffered(l) => format!("is given but `{}` is not in `languages`", l.code()),
            Country(v) => format!("`{v}` is not an ISO 3166-1 alpha-2 country code such as `KZ`"),
            Url(v) => format!("`{v}` is not an http(s) URL"),
            SiteSlug => format!("must be a slug: {SLUG}"),
            NoOrigin => "must list at least one origin, e.g. \"https://example.kz\"".into(),
            Origin(v, f) => format!(
                "`{v}` {}",
                match f {
                    OriginFault::NoScheme => "is not an origin: it must start with https:// or http://",
                    OriginFault::NotBare => "is not an origin: scheme and host[:port] only, no path or trailing slash",
                    OriginFault::Uppercase => "must be lowercase, as browsers send it",
                }
            ),
            MustInclude(l) => format!("must include `{}`", l.code()),
            Twice(v) => format!("`{v}` is listed twice"),
            ConsentDays => "must be between 1 and 3650 days".into(),
            Retention { retention, consent } => format!(
                "({retention}) is shorter than `consent_days` ({consent}): a consent must stay provable while it is in force"
            ),
            TimeZone(v) => {
                format!("`{v}` is not a time zone of the IANA database; write a name such as `Asia/Almaty`")
            }
            Appearance(f) => f.en(),
            Bin(v) => format!("`{v}` is not a valid BIN: 12 digits with a correct check digit"),
            Email(v) => format!("`{v}` is not an e-mail address"),
            Phone(v) => format!("`{v}` is not a phone number"),
            NoContact => "needs at least one contact: `email`, `phone` or `address`".into(),
            NoCategory => "must have at least one `[[category]]`".into(),
            NoRequired => "none is `required = true`: exactly one category must be required".into(),
            SecondRequired => "a second required category: exactly one may be required".into(),
            CategorySlug(v) => format!("`{v}` must be a slug: {SLUG}"),
            CategoryTaken(v) => format!("`{v}` is used by an earlier category"),
            GpcOffRequired => "cannot be set on the required category".into(),
            TransferWithoutCountries => "says `transfer = true` but lists no `countries`".into(),
            CountriesWithoutTransfer => "lists `countries` but says `transfer = false`".into(),
            Abroad(k) => {
                format!("a recipient is in `{k}`, so `cross_border` must say `transfer = true` and list `{k}`")
            }
            ServiceTaken(v) => format!("`{v}` is used by an earlier service of this category"),
            ServiceSlug(v) => format!("`{v}` must be a slug"),
            NotInCatalogue(v, Some(near)) => format!(
                "`{v}` is not in the services catalogue: did you mean `{near}`? Otherwise give the service's `name`, `provider`, `country` and `description`"
            ),
            NotInCatalogue(v, None) => format!(
                "`{v}` is not in the services catalogue (shared/catalogue/services.toml): use a catalogue id, or give the service's `name`, `provider`, `country` and `description`"
            ),
            TrackerRequired(v, cat) => format!(
                "`{v}` is a catalogue `{cat}` service: in the required category it would run before any choice and never be blocked; put it in an optional category"
            ),
            CookieName(v) => format!("`{v}` is not a cookie name"),
            StorageKey => "must be a storage key: not empty, no control characters".into(),
            SuggestedCategory(v) => format!("`{v}` must be a category id (a slug)"),
            CookiePattern(v) => format!("`{v}` is not a cookie name or pattern such as `_ga` or `_ym_*`"),
            Note(phrase) => super::notes::message(phrase),
            Review { kind, name, suggested } => {
                let suggested = suggested.as_deref().map(|c| format!(" (suggested category `{c}`)")).unwrap_or_default();
                format!(
                    "{} `{name}` awaits review{suggested}: declare it in a category, or remove it from the site, then delete this entry",
                    kind.label()
                )
            }
        }
    }
}

/// The field a problem is at, in no language: the entries of lists of tables it is in (their
/// key and id, else number) and the key path within the last. [`Field::en`] is the `field` of a
/// [`PolicyError`](super::PolicyError): "category `analytics`: third_parties #1: `purpose.en`".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub owners: Vec<Owner>,
    /// The dotted key path after the last owner (`title.kk`, `origins[0]`); empty for a whole
    /// entry.
    pub rest: String,
}

/// An entry of a list of tables: its key (`category`, `third_parties`, `service`, `review`)
/// and its `id`, else its number from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub kind: String,
    pub id: Result<String, usize>,
}

impl Field {
    /// Words it with `kind` naming each owner's kind.
    pub fn render(&self, kind: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for o in &self.owners {
            if !out.is_empty() {
                out.push_str(": ");
            }
            match &o.id {
                Ok(id) => out.push_str(&format!("{} `{id}`", kind(&o.kind))),
                Err(n) => out.push_str(&format!("{} #{n}", kind(&o.kind))),
            }
        }
        if !self.rest.is_empty() {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push('`');
            out.push_str(&self.rest);
            out.push('`');
        }
        out
    }

    pub fn en(&self) -> String {
        self.render(str::to_owned)
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty() && self.rest.is_empty()
    }
}
