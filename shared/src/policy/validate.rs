//! The rules a site policy must satisfy beyond its TOML shape. Each problem carries the path of
//! the field it concerns; `locate` turns that into a line and column.

use super::locate::Seg::{self, Index, Key};
use super::problem::{OriginFault, Problem};
use super::SitePolicy;
use crate::config::{Category, Localized, Operator, Service, ThirdParty};
use crate::lang::Lang;

/// Size caps, in characters (Unicode scalar values) for texts and in entries for lists. The
/// config is served to every visitor and its texts are shown in the banner: a cap keeps a slip
/// (a pasted document, a runaway generator) from being served, and keeps error messages short.
pub mod caps {
    /// `policy_version`.
    pub const POLICY_VERSION: usize = 100;
    /// Category `title`.
    pub const TITLE: usize = 200;
    /// `name` (site, operator, third party, service), `provider`, `responsible_person`.
    pub const NAME: usize = 300;
    /// Category and service `description`.
    pub const DESCRIPTION: usize = 5_000;
    /// Each item of `data` and `purposes`; `retention`; a third party's `purpose`; `address`.
    pub const ITEM: usize = 500;
    /// `policy_url`, a service's `policy_url`.
    pub const URL: usize = 2_048;
    /// Each entry of `origins`.
    pub const ORIGIN: usize = 300;
    /// `email` (RFC 5321's limit).
    pub const EMAIL: usize = 254;
    /// `phone`.
    pub const PHONE: usize = 50;
    /// A cookie name or pattern; a `[[review]]` entry's `name` and `platform`.
    pub const COOKIE: usize = 200;
    /// Entries of `origins`, and items of each list of `data` and `purposes`, third parties,
    /// services, and `cross_border.countries`, in one category.
    pub const ENTRIES: usize = 50;
    /// `[[category]]` entries.
    pub const CATEGORIES: usize = 20;
    /// Cookie names and patterns of one category or service.
    pub const COOKIES: usize = 200;
    /// `[[review]]` entries.
    pub const REVIEW: usize = 1_000;
}

/// A value as quoted in a message: at most 60 characters of it.
fn shown(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// A problem and the path of its field.
pub struct Found {
    pub path: Vec<Seg>,
    pub problem: Problem,
}

struct Check<'a> {
    langs: &'a [Lang],
    problems: Vec<Found>,
}

impl Check<'_> {
    fn fail(&mut self, path: Vec<Seg>, problem: Problem) {
        self.problems.push(Found { path, problem });
    }

    /// No string may still hold a TODO left by `kelisim policy import` for a person to fill in.
    /// Returns whether it did, so that a field with a format (country, URL, BIN…) reports the
    /// TODO alone rather than also calling the placeholder malformed: the person filling in the
    /// draft should see one instruction per field.
    fn no_todo(&mut self, path: Vec<Seg>, s: &str) -> bool {
        let todo = s.contains("TODO");
        if todo {
            self.fail(path, Problem::Todo);
        }
        todo
    }

    /// Whether `s` is at most `max` characters long; reports it when it is not (and then no
    /// other check of the field should quote it).
    fn fits(&mut self, path: Vec<Seg>, s: &str, max: usize) -> bool {
        let n = s.chars().count();
        if n > max {
            self.fail(path, Problem::TooLong { n, max });
        }
        n <= max
    }

    /// Whether a list has at most `max` entries; reports it when it has more.
    fn few(&mut self, path: Vec<Seg>, n: usize, max: usize) -> bool {
        if n > max {
            self.fail(path, Problem::TooMany { n, max });
        }
        n <= max
    }

    fn text(&mut self, path: Vec<Seg>, t: &Localized<String>, max: usize) {
        for &l in self.langs {
            let mut p = path.clone();
            p.push(Key(l.code()));
            match t.get(l) {
                None => self.fail(p, Problem::Missing),
                Some(s) if s.trim().is_empty() => self.fail(p, Problem::Empty),
                Some(s) => {
                    if self.fits(p.clone(), s, max) {
                        self.no_todo(p, s);
                    }
                }
            }
        }
        self.unoffered(path, t);
    }

    fn list(&mut self, path: Vec<Seg>, t: &Localized<Vec<String>>) {
        let mut len: Option<(Lang, usize)> = None;
        for &l in self.langs {
            let mut p = path.clone();
            p.push(Key(l.code()));
            match t.get(l) {
                None => self.fail(p, Problem::Missing),
                Some(v) if v.is_empty() => self.fail(p, Problem::EmptyList),
                Some(v) => {
                    self.few(p.clone(), v.len(), caps::ENTRIES);
                    for (i, s) in v.iter().enumerate().take(caps::ENTRIES) {
                        let mut q = p.clone();
                        q.push(Index(i));
                        if s.trim().is_empty() {
                            self.fail(q, Problem::Empty);
                        } else if self.fits(q.clone(), s, caps::ITEM) {
                            self.no_todo(q, s);
                        }
                    }
                    match len {
                        Some((first, first_n)) if first_n != v.len() => {
                            self.fail(p, Problem::ItemCount { n: v.len(), first, first_n })
                        }
                        None => len = Some((l, v.len())),
                        _ => {}
                    }
                }
            }
        }
        self.unoffered(path, t);
    }

    /// A text in a language the site does not list is a sign of a mistake in `languages`.
    fn unoffered<T>(&mut self, path: Vec<Seg>, t: &Localized<T>) {
        for l in Lang::ALL {
            if t.get(l).is_some() && !self.langs.contains(&l) {
                let mut p = path.clone();
                p.push(Key(l.code()));
                self.fail(p, Problem::NotOffered(l));
            }
        }
    }

    fn country(&mut self, path: Vec<Seg>, c: &str) {
        if self.no_todo(path.clone(), c) {
            return;
        }
        if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
            self.fail(path, Problem::Country(shown(c)));
        }
    }

    fn url(&mut self, path: Vec<Seg>, u: &str) {
        if !self.fits(path.clone(), u, caps::URL) || self.no_todo(path.clone(), u) {
            return;
        }
        let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace)) {
            self.fail(path, Problem::Url(shown(u)));
        }
    }

    /// A plain (not localized) name: not empty, not too long, no TODO.
    fn name(&mut self, path: Vec<Seg>, s: &str, max: usize) {
        if s.trim().is_empty() {
            self.fail(path, Problem::Empty);
        } else if self.fits(path.clone(), s, max) {
            self.no_todo(path, s);
        }
    }
}

pub fn validate(p: &SitePolicy) -> Vec<Found> {
    let mut c = Check { langs: &p.languages, problems: Vec::new() };
    if !crate::is_slug(&p.id) {
        c.fail(vec![Key("id")], Problem::SiteSlug);
    }
    c.name(vec![Key("name")], &p.name, caps::NAME);
    if p.origins.is_empty() {
        c.fail(vec![Key("origins")], Problem::NoOrigin);
    }
    c.few(vec![Key("origins")], p.origins.len(), caps::ENTRIES);
    for (i, o) in p.origins.iter().enumerate().take(caps::ENTRIES) {
        if !c.fits(vec![Key("origins"), Index(i)], o, caps::ORIGIN) || c.no_todo(vec![Key("origins"), Index(i)], o) {
            continue;
        }
        if let Err(why) = check_origin(o) {
            c.fail(vec![Key("origins"), Index(i)], Problem::Origin(shown(o), why));
        }
    }
    c.url(vec![Key("policy_url")], &p.policy_url);
    c.name(vec![Key("policy_version")], &p.policy_version, caps::POLICY_VERSION);
    // Law on Languages Art. 21: public texts in Kazakh, and in Russian.
    for must in [Lang::Kk, Lang::Ru] {
        if !p.languages.contains(&must) {
            c.fail(vec![Key("languages")], Problem::MustInclude(must));
        }
    }
    for (i, l) in p.languages.iter().enumerate() {
        if p.languages[..i].contains(l) {
            c.fail(vec![Key("languages"), Index(i)], Problem::Twice(l.code().to_owned()));
        }
    }
    if !(1..=3650).contains(&p.consent_days) {
        c.fail(vec![Key("consent_days")], Problem::ConsentDays);
    }
    // Art. 25 p.2(5): the operator must be able to prove a consent for as long as it is relied on.
    if p.retention_days < p.consent_days {
        c.fail(
            vec![Key("retention_days")],
            Problem::Retention { retention: p.retention_days, consent: p.consent_days },
        );
    }
    if let Some(tz) = &p.timezone {
        if c.fits(vec![Key("timezone")], tz, 64) && jiff::tz::db().get(tz).is_err() {
            c.fail(vec![Key("timezone")], Problem::TimeZone(shown(tz)));
        }
    }
    if let Some(a) = &p.appearance {
        for (key, fault) in crate::appearance::problems(a) {
            c.fail(vec![Key("appearance"), Key(key)], Problem::Appearance(fault));
        }
    }
    operator(&mut c, &p.operator);
    categories(&mut c, &p.categories);
    review(&mut c, &p.review);
    c.problems
}

fn check_origin(o: &str) -> Result<(), OriginFault> {
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")).ok_or(OriginFault::NoScheme)?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) || rest.ends_with(':') {
        return Err(OriginFault::NotBare);
    }
    if rest.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(OriginFault::Uppercase);
    }
    Ok(())
}

fn operator(c: &mut Check, o: &Operator) {
    let base = || vec![Key("operator")];
    let at = |k: &'static str| vec![Key("operator"), Key(k)];
    c.text(at("name"), &o.name, caps::NAME);
    if let Some(bin) = &o.bin {
        if !c.no_todo(at("bin"), bin) && !is_valid_bin(bin) {
            c.fail(at("bin"), Problem::Bin(shown(bin)));
        }
    }
    if let Some(a) = &o.address {
        c.text(at("address"), a, caps::ITEM);
    }
    if let Some(r) = &o.responsible_person {
        c.text(at("responsible_person"), r, caps::NAME);
    }
    if let Some(e) = &o.email {
        if c.fits(at("email"), e, caps::EMAIL)
            && !c.no_todo(at("email"), e)
            && !e.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
        {
            c.fail(at("email"), Problem::Email(e.clone()));
        }
    }
    if let Some(ph) = &o.phone {
        if c.fits(at("phone"), ph, caps::PHONE)
            && !c.no_todo(at("phone"), ph)
            && ph.chars().filter(char::is_ascii_digit).count() < 7
        {
            c.fail(at("phone"), Problem::Phone(ph.clone()));
        }
    }
    // Art. 8 p.2: the subject must be able to reach the operator to withdraw consent.
    if o.email.is_none() && o.phone.is_none() && o.address.is_none() {
        c.fail(base(), Problem::NoContact);
    }
    c.country(at("storage_country"), &o.storage_country);
}

/// Kazakhstan's BIN/IIN check digit: weights 1..11, sum mod 11; if that gives 10, weights
/// 3..11,1,2; a result of 10 again means the number is invalid.
pub fn is_valid_bin(bin: &str) -> bool {
    let d: Vec<u32> = bin.chars().filter_map(|ch| ch.to_digit(10)).collect();
    if bin.len() != 12 || d.len() != 12 {
        return false;
    }
    let sum = |w: &dyn Fn(usize) -> u32| (0..11).map(|i| d[i] * w(i)).sum::<u32>() % 11;
    let mut check = sum(&|i| i as u32 + 1);
    if check == 10 {
        check = sum(&|i| ((i + 2) % 11) as u32 + 1);
    }
    check != 10 && check == d[11]
}

fn categories(c: &mut Check, cats: &[Category]) {
    if cats.is_empty() {
        c.fail(vec![], Problem::NoCategory);
        return;
    }
    c.few(vec![Key("category"), Index(caps::CATEGORIES.min(cats.len() - 1))], cats.len(), caps::CATEGORIES);
    let required: Vec<usize> = cats.iter().enumerate().filter(|(_, k)| k.required).map(|(i, _)| i).collect();
    match required.len() {
        1 => {}
        0 => c.fail(vec![Key("category"), Index(0)], Problem::NoRequired),
        _ => c.fail(vec![Key("category"), Index(required[1]), Key("required")], Problem::SecondRequired),
    }
    for (i, cat) in cats.iter().enumerate() {
        let at = |k: &'static str| vec![Key("category"), Index(i), Key(k)];
        if !crate::is_slug(&cat.id) {
            c.fail(at("id"), Problem::CategorySlug(shown(&cat.id)));
        } else if cats[..i].iter().any(|o| o.id == cat.id) {
            c.fail(at("id"), Problem::CategoryTaken(cat.id.clone()));
        }
        c.text(at("title"), &cat.title, caps::TITLE);
        c.text(at("description"), &cat.description, caps::DESCRIPTION);
        c.list(at("data"), &cat.data);
        c.list(at("purposes"), &cat.purposes);
        c.text(at("retention"), &cat.retention, caps::ITEM);
        if cat.required && cat.gpc_off {
            c.fail(at("gpc_off"), Problem::GpcOffRequired);
        }
        c.few(at("third_parties"), cat.third_parties.len(), caps::ENTRIES);
        c.few(at("services"), cat.services.len(), caps::ENTRIES);
        c.few(at("cookies"), cat.cookies.len(), caps::COOKIES);
        c.few(
            vec![Key("category"), Index(i), Key("cross_border"), Key("countries")],
            cat.cross_border.countries.len(),
            caps::ENTRIES,
        );
        for (j, t) in cat.third_parties.iter().enumerate().take(caps::ENTRIES) {
            third_party(c, vec![Key("category"), Index(i), Key("third_parties"), Index(j)], t);
        }
        // Art. 8 p.4: whether data crosses the border must match where its recipients are.
        let cb = &cat.cross_border;
        for (j, country) in cb.countries.iter().enumerate().take(caps::ENTRIES) {
            c.country(vec![Key("category"), Index(i), Key("cross_border"), Key("countries"), Index(j)], country);
        }
        if cb.transfer && cb.countries.is_empty() {
            c.fail(at("cross_border"), Problem::TransferWithoutCountries);
        }
        if !cb.transfer && !cb.countries.is_empty() {
            c.fail(at("cross_border"), Problem::CountriesWithoutTransfer);
        }
        let abroad = cat
            .third_parties
            .iter()
            .map(|t| t.country.as_str())
            .chain(cat.services.iter().map(|s| s.country.as_str()))
            // A country still left as a TODO is reported once, where it stands.
            // An empty one is reported at its own field (or is a service the catalogue could not fill).
            .filter(|k| !k.is_empty() && *k != "KZ" && !k.contains("TODO"));
        for k in abroad {
            if !cb.countries.iter().any(|x| x == k) {
                c.fail(at("cross_border"), Problem::Abroad(shown(k)));
                break;
            }
        }
        for (j, pat) in cat.cookies.iter().enumerate().take(caps::COOKIES) {
            cookie_pattern(c, vec![Key("category"), Index(i), Key("cookies"), Index(j)], pat);
        }
        for (j, s) in cat.services.iter().enumerate().take(caps::ENTRIES) {
            let path = vec![Key("category"), Index(i), Key("service"), Index(j)];
            if cat.services[..j].iter().any(|o| o.id == s.id) {
                let mut p = path.clone();
                p.push(Key("id"));
                c.fail(p, Problem::ServiceTaken(shown(&s.id)));
            }
            // A tracker in the required category would run before any choice and never be
            // blocked: the catalogue's analytics and advertising services need consent.
            if let Some(e) = crate::catalogue::get(&s.id).filter(|e| cat.required && is_tracking(&e.category)) {
                let mut p = path.clone();
                p.push(Key("id"));
                c.fail(p, Problem::TrackerRequired(shown(&s.id), e.category.clone()));
            }
            service(c, path, s);
        }
    }
}

fn third_party(c: &mut Check, path: Vec<Seg>, t: &ThirdParty) {
    let at = |k: &'static str| {
        let mut p = path.clone();
        p.push(Key(k));
        p
    };
    c.text(at("name"), &t.name, caps::NAME);
    c.country(at("country"), &t.country);
    c.text(at("purpose"), &t.purpose, caps::ITEM);
}

/// Whether a catalogue category is one of tracking (analytics, advertising), which no law
/// counts as strictly necessary.
fn is_tracking(category: &str) -> bool {
    matches!(category, "analytics" | "marketing")
}

fn service(c: &mut Check, path: Vec<Seg>, s: &Service) {
    let at = |k: &'static str| {
        let mut p = path.clone();
        p.push(Key(k));
        p
    };
    // A service named by id alone that the catalogue does not know: nothing could fill it in,
    // so that is the one problem, with the catalogue id it may have meant. (One with some
    // fields of its own, or no id yet, gets each missing field named.)
    let by_id_alone = s.name.is_empty() && s.provider.is_empty() && s.country.is_empty() && s.description.is_blank();
    if by_id_alone && !s.id.is_empty() && crate::catalogue::get(&s.id).is_none() {
        let near = crate::catalogue::nearest(&s.id).map(str::to_owned);
        c.fail(at("id"), Problem::NotInCatalogue(shown(&s.id), near));
        return;
    }
    if !crate::is_slug(&s.id) {
        c.fail(at("id"), Problem::ServiceSlug(shown(&s.id)));
    }
    for (k, v) in [("name", &s.name), ("provider", &s.provider)] {
        c.name(at(k), v, caps::NAME);
    }
    // Optional; given, it is what visitors read, so in every language of the site.
    if !s.title.is_blank() {
        c.text(at("title"), &s.title, caps::NAME);
    }
    c.country(at("country"), &s.country);
    c.text(at("description"), &s.description, caps::DESCRIPTION);
    c.few(at("cookies"), s.cookies.len(), caps::COOKIES);
    for (j, pat) in s.cookies.iter().enumerate().take(caps::COOKIES) {
        let mut p = at("cookies");
        p.push(Index(j));
        cookie_pattern(c, p, pat);
    }
    if let Some(u) = &s.policy_url {
        c.url(at("policy_url"), u);
    }
}

/// `[[review]]` entries (written by `kelisim scan --write-policy`): valid, but each one is
/// listed by `site check` as a note until a person resolves it.
fn review(c: &mut Check, items: &[super::ReviewItem]) {
    use super::StorageKind;
    if !items.is_empty() {
        c.few(vec![Key("review"), Index(caps::REVIEW.min(items.len() - 1))], items.len(), caps::REVIEW);
    }
    for (i, r) in items.iter().enumerate().take(caps::REVIEW) {
        let at = |k: &'static str| vec![Key("review"), Index(i), Key(k)];
        if let Some(platform) = &r.platform {
            c.fits(at("platform"), platform, caps::COOKIE);
        }
        if !c.fits(at("name"), &r.name, caps::COOKIE) {
            continue;
        }
        match r.kind {
            StorageKind::Cookie => {
                if r.name.contains('*') || r.name.is_empty() {
                    c.fail(at("name"), Problem::CookieName(r.name.clone()));
                } else {
                    cookie_pattern(c, at("name"), &r.name);
                }
            }
            StorageKind::LocalStorage | StorageKind::SessionStorage => {
                if r.name.is_empty() || r.name.chars().any(char::is_control) {
                    c.fail(at("name"), Problem::StorageKey);
                }
            }
        }
        if let Some(s) = &r.suggested_category {
            if !crate::is_slug(s) {
                c.fail(at("suggested_category"), Problem::SuggestedCategory(shown(s)));
            }
        }
        if items[..i].iter().any(|o| o.name == r.name && o.kind == r.kind) {
            c.fail(at("name"), Problem::Twice(r.name.clone()));
        }
    }
}

/// Whether `pat` is a cookie name (an RFC 6265 token) in which `*` may stand for any run of
/// characters; an empty name or a bare `*` is not.
pub fn is_cookie_pattern(pat: &str) -> bool {
    let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
    !(pat.is_empty() || pat == "*" || !pat.bytes().all(token))
}

/// A cookie name (RFC 6265 token) where `*` stands for any run of characters.
fn cookie_pattern(c: &mut Check, path: Vec<Seg>, pat: &str) {
    if !c.fits(path.clone(), pat, caps::COOKIE) {
        return;
    }
    if !is_cookie_pattern(pat) {
        c.fail(path, Problem::CookiePattern(pat.to_owned()));
    }
}
