//! The one list of the fields the site editor shows, in the order a visitor meets them (the
//! format: docs/site-policy.md). Reading, applying and rendering all walk this list, so a new
//! table (an `[appearance]`, say) is one more entry in [`ROOT`] and its words in
//! `i18n::editor::label`.

/// How a field is shown and written back.
pub enum Kind {
    /// A string on one line.
    Line,
    /// A string in a text area.
    Long,
    /// A list of strings, one a line.
    Lines,
    /// A list of short words on one line, separated by commas or spaces (`languages`).
    Words,
    /// A whole number.
    Number,
    /// A checkbox, and its value when the key is left out.
    Flag(bool),
    /// One of these strings (a select); the first is the value when the key is left out.
    Choice(&'static [&'static str]),
    /// A checkbox for each of these strings, kept as a list.
    Set(&'static [&'static str]),
    /// A text per language, side by side (in text areas when `true`).
    Text(bool),
    /// A list per language, side by side, one item a line.
    TextLines,
    /// Fields of the same table shown together (the site's own settings).
    Group(&'static [Field]),
    /// A table of its own (`[operator]`, `cross_border`).
    Table(&'static [Field]),
    /// A list of tables (`[[category]]`) that the form adds to and removes from, and moves
    /// within when `true`.
    Tables(&'static [Field], bool),
}

pub struct Field {
    /// The TOML key (unused by a `Group`).
    pub key: &'static str,
    pub kind: Kind,
    /// Whether the key may be left out: emptied, it is removed rather than written empty.
    pub optional: bool,
    /// Names the field's words in `i18n::editor::label`.
    pub label: &'static str,
}

const fn f(key: &'static str, kind: Kind, label: &'static str) -> Field {
    Field { key, kind, optional: false, label }
}

const fn opt(key: &'static str, kind: Kind, label: &'static str) -> Field {
    Field { key, kind, optional: true, label }
}

/// The languages a text may be given in, side by side in this order.
pub const LANGS: [&str; 3] = ["kk", "ru", "en"];

/// The Consent Mode v2 types (shared/src/consent_mode.rs), in their order there.
pub const CONSENT_MODE: &[&str] = &[
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
];

/// The whole file.
pub const ROOT: &[Field] = &[
    f("", Kind::Group(SITE), "site"),
    opt("appearance", Kind::Table(APPEARANCE), "appearance"),
    f("operator", Kind::Table(OPERATOR), "operator"),
    f("category", Kind::Tables(CATEGORY, true), "category"),
];

const SITE: &[Field] = &[
    f("name", Kind::Line, "site.name"),
    f("origins", Kind::Lines, "origins"),
    f("policy_url", Kind::Line, "policy_url"),
    f("policy_version", Kind::Line, "policy_version"),
    f("languages", Kind::Words, "languages"),
    f("consent_days", Kind::Number, "consent_days"),
    opt("ip_storage", Kind::Choice(&["truncated", "full", "none"]), "ip_storage"),
    f("retention_days", Kind::Number, "retention_days"),
    opt("reload_on_revoke", Kind::Flag(true), "reload_on_revoke"),
    opt("floating_button", Kind::Flag(true), "floating_button"),
    opt("timezone", Kind::Line, "timezone"),
    opt("auto_block", Kind::Choice(&["declared", "catalogue"]), "auto_block"),
];

/// `[appearance]` (docs/site-policy.md §3.8): every key optional, left out when emptied.
const APPEARANCE: &[Field] = &[
    opt("position", Kind::Choice(&["bottom", "bottom-left", "center"]), "appearance.position"),
    opt("accent", Kind::Line, "appearance.accent"),
    opt("accent_text", Kind::Line, "appearance.accent_text"),
    opt("background", Kind::Line, "appearance.background"),
    opt("text", Kind::Line, "appearance.text"),
    opt("radius", Kind::Number, "appearance.radius"),
    opt("font", Kind::Line, "appearance.font"),
    opt("logo", Kind::Line, "appearance.logo"),
    opt("reopen_corner", Kind::Choice(&["left", "right"]), "appearance.reopen_corner"),
];

const OPERATOR: &[Field] = &[
    f("name", Kind::Text(false), "operator.name"),
    opt("address", Kind::Text(false), "operator.address"),
    opt("responsible_person", Kind::Text(false), "operator.responsible_person"),
    opt("bin", Kind::Line, "operator.bin"),
    opt("email", Kind::Line, "operator.email"),
    opt("phone", Kind::Line, "operator.phone"),
    f("storage_country", Kind::Line, "operator.storage_country"),
];

const CATEGORY: &[Field] = &[
    f("id", Kind::Line, "category.id"),
    opt("required", Kind::Flag(false), "category.required"),
    f("title", Kind::Text(false), "category.title"),
    f("description", Kind::Text(true), "category.description"),
    f("data", Kind::TextLines, "category.data"),
    f("purposes", Kind::TextLines, "category.purposes"),
    f("retention", Kind::Text(false), "category.retention"),
    opt("third_parties", Kind::Tables(THIRD_PARTY, false), "third_parties"),
    opt("cross_border", Kind::Table(CROSS_BORDER), "cross_border"),
    opt("cookies", Kind::Lines, "category.cookies"),
    opt("consent_mode", Kind::Set(CONSENT_MODE), "category.consent_mode"),
    opt("gpc_off", Kind::Flag(false), "category.gpc_off"),
    opt("service", Kind::Tables(SERVICE, true), "service"),
];

const THIRD_PARTY: &[Field] = &[
    f("name", Kind::Text(false), "third_party.name"),
    f("country", Kind::Line, "third_party.country"),
    f("purpose", Kind::Text(false), "third_party.purpose"),
];

const CROSS_BORDER: &[Field] = &[
    f("transfer", Kind::Flag(false), "cross_border.transfer"),
    opt("countries", Kind::Lines, "cross_border.countries"),
];

const SERVICE: &[Field] = &[
    f("id", Kind::Line, "service.id"),
    f("name", Kind::Line, "service.name"),
    opt("title", Kind::Text(false), "service.title"),
    f("provider", Kind::Line, "service.provider"),
    f("country", Kind::Line, "service.country"),
    f("description", Kind::Text(true), "service.description"),
    opt("cookies", Kind::Lines, "service.cookies"),
    opt("policy_url", Kind::Line, "service.policy_url"),
];

/// The fields of an entry of the list that `path` names (`category`, `category.1.service`),
/// found by walking [`ROOT`] with the path's keys (its indices skipped).
pub fn entry_fields(path: &[&str]) -> Option<&'static [Field]> {
    let mut fields = ROOT;
    let mut found = None;
    for seg in path.iter().filter(|s| s.parse::<usize>().is_err()) {
        let field = flat(fields).find(|f| f.key == *seg)?;
        let Kind::Tables(inner, _) = field.kind else { return None };
        fields = inner;
        found = Some(inner);
    }
    found
}

/// The fields of one table: a `Group`'s own fields in its place.
pub fn flat(fields: &'static [Field]) -> impl Iterator<Item = &'static Field> {
    fields.iter().flat_map(|f| match f.kind {
        Kind::Group(inner) => inner.iter().collect::<Vec<_>>(),
        _ => vec![f],
    })
}

/// The name of field `key` under `prefix` in the form (and in a problem's path).
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use kelisim_shared::consent_mode::ConsentModeType;

    #[test]
    fn the_consent_mode_boxes_are_the_types_the_widget_knows() {
        let names: Vec<&str> = ConsentModeType::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names, super::CONSENT_MODE);
    }

    #[test]
    fn entries_are_found_by_path() {
        assert!(super::entry_fields(&["category"]).is_some_and(|f| f[0].key == "id"));
        assert!(super::entry_fields(&["category", "2", "third_parties"]).is_some_and(|f| f[0].key == "name"));
        assert!(super::entry_fields(&["category", "0", "service"])
            .is_some_and(|f| f[2].key == "title" && f[3].key == "provider"));
        assert!(super::entry_fields(&["operator"]).is_none());
    }
}
