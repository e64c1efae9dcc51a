//! The rules a site policy must satisfy beyond its TOML shape. Each problem carries the path of
//! the field it concerns; `locate` turns that into a line and column.

use super::locate::Seg::{self, Index, Key};
use super::SitePolicy;
use crate::config::{Category, Localized, Operator, Service, ThirdParty};
use crate::lang::Lang;

pub struct Problem {
    pub path: Vec<Seg>,
    pub message: String,
}

struct Check<'a> {
    langs: &'a [Lang],
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn fail(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        self.problems.push(Problem { path, message: message.into() });
    }

    /// No string may still hold a TODO left by `kelisim policy import` for a person to fill in.
    /// Returns whether it did, so that a field with a format (country, URL, BIN…) reports the
    /// TODO alone rather than also calling the placeholder malformed: the person filling in the
    /// draft should see one instruction per field.
    fn no_todo(&mut self, path: Vec<Seg>, s: &str) -> bool {
        let todo = s.contains("TODO");
        if todo {
            self.fail(path, "is still a TODO: replace it with the site's own text");
        }
        todo
    }

    fn text(&mut self, path: Vec<Seg>, t: &Localized<String>) {
        for &l in self.langs {
            let mut p = path.clone();
            p.push(Key(l.code()));
            match t.get(l) {
                None => self.fail(p, "is missing"),
                Some(s) if s.trim().is_empty() => self.fail(p, "is empty"),
                Some(s) => {
                    self.no_todo(p, s);
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
                None => self.fail(p, "is missing"),
                Some(v) if v.is_empty() => self.fail(p, "is an empty list"),
                Some(v) => {
                    for (i, s) in v.iter().enumerate() {
                        let mut q = p.clone();
                        q.push(Index(i));
                        if s.trim().is_empty() {
                            self.fail(q, "is empty");
                        } else {
                            self.no_todo(q, s);
                        }
                    }
                    match len {
                        Some((first, n)) if n != v.len() => self.fail(
                            p,
                            format!("has {} items but `{}` has {n}: each language must list the same items", v.len(), first.code()),
                        ),
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
                self.fail(p, format!("is given but `{}` is not in `languages`", l.code()));
            }
        }
    }

    fn country(&mut self, path: Vec<Seg>, c: &str) {
        if self.no_todo(path.clone(), c) {
            return;
        }
        if !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())) {
            self.fail(path, format!("`{c}` is not an ISO 3166-1 alpha-2 country code such as `KZ`"));
        }
    }

    fn url(&mut self, path: Vec<Seg>, u: &str) {
        if self.no_todo(path.clone(), u) {
            return;
        }
        let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace)) {
            self.fail(path, format!("`{u}` is not an http(s) URL"));
        }
    }
}

pub fn validate(p: &SitePolicy) -> Vec<Problem> {
    let mut c = Check { langs: &p.languages, problems: Vec::new() };
    if !crate::is_slug(&p.id) {
        c.fail(vec![Key("id")], "must be a slug: 1–32 of a-z, 0-9, `_`, `-`, starting with a letter");
    }
    if p.name.trim().is_empty() {
        c.fail(vec![Key("name")], "is empty");
    }
    c.no_todo(vec![Key("name")], &p.name);
    if p.origins.is_empty() {
        c.fail(vec![Key("origins")], "must list at least one origin, e.g. \"https://example.kz\"");
    }
    for (i, o) in p.origins.iter().enumerate() {
        if c.no_todo(vec![Key("origins"), Index(i)], o) {
            continue;
        }
        if let Err(why) = check_origin(o) {
            c.fail(vec![Key("origins"), Index(i)], format!("`{o}` {why}"));
        }
    }
    c.url(vec![Key("policy_url")], &p.policy_url);
    if p.policy_version.trim().is_empty() {
        c.fail(vec![Key("policy_version")], "is empty");
    }
    c.no_todo(vec![Key("policy_version")], &p.policy_version);
    // Law on Languages Art. 21: public texts in Kazakh, and in Russian.
    for must in [Lang::Kk, Lang::Ru] {
        if !p.languages.contains(&must) {
            c.fail(vec![Key("languages")], format!("must include `{}`", must.code()));
        }
    }
    for (i, l) in p.languages.iter().enumerate() {
        if p.languages[..i].contains(l) {
            c.fail(vec![Key("languages"), Index(i)], format!("`{}` is listed twice", l.code()));
        }
    }
    if !(1..=3650).contains(&p.consent_days) {
        c.fail(vec![Key("consent_days")], "must be between 1 and 3650 days");
    }
    // Art. 25 p.2(5): the operator must be able to prove a consent for as long as it is relied on.
    if p.retention_days < p.consent_days {
        c.fail(
            vec![Key("retention_days")],
            format!("({}) is shorter than `consent_days` ({}): a consent must stay provable while it is in force", p.retention_days, p.consent_days),
        );
    }
    operator(&mut c, &p.operator);
    categories(&mut c, &p.categories);
    review(&mut c, &p.review);
    c.problems
}

fn check_origin(o: &str) -> Result<(), &'static str> {
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .ok_or("is not an origin: it must start with https:// or http://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) || rest.ends_with(':') {
        return Err("is not an origin: scheme and host[:port] only, no path or trailing slash");
    }
    if rest.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("must be lowercase, as browsers send it");
    }
    Ok(())
}

fn operator(c: &mut Check, o: &Operator) {
    let base = || vec![Key("operator")];
    let at = |k: &'static str| vec![Key("operator"), Key(k)];
    c.text(at("name"), &o.name);
    if let Some(bin) = &o.bin {
        if !c.no_todo(at("bin"), bin) && !is_valid_bin(bin) {
            c.fail(at("bin"), format!("`{bin}` is not a valid BIN: 12 digits with a correct check digit"));
        }
    }
    if let Some(a) = &o.address {
        c.text(at("address"), a);
    }
    if let Some(r) = &o.responsible_person {
        c.text(at("responsible_person"), r);
    }
    if let Some(e) = &o.email {
        if !c.no_todo(at("email"), e) && !e.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.')) {
            c.fail(at("email"), format!("`{e}` is not an e-mail address"));
        }
    }
    if let Some(ph) = &o.phone {
        if !c.no_todo(at("phone"), ph) && ph.chars().filter(char::is_ascii_digit).count() < 7 {
            c.fail(at("phone"), format!("`{ph}` is not a phone number"));
        }
    }
    // Art. 8 p.2: the subject must be able to reach the operator to withdraw consent.
    if o.email.is_none() && o.phone.is_none() && o.address.is_none() {
        c.fail(base(), "needs at least one contact: `email`, `phone` or `address`");
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
        c.fail(vec![], "must have at least one `[[category]]`");
        return;
    }
    let required: Vec<usize> = cats.iter().enumerate().filter(|(_, k)| k.required).map(|(i, _)| i).collect();
    match required.len() {
        1 => {}
        0 => c.fail(vec![Key("category"), Index(0)], "none is `required = true`: exactly one category must be required"),
        _ => c.fail(vec![Key("category"), Index(required[1]), Key("required")], "a second required category: exactly one may be required"),
    }
    for (i, cat) in cats.iter().enumerate() {
        let at = |k: &'static str| vec![Key("category"), Index(i), Key(k)];
        if !crate::is_slug(&cat.id) {
            c.fail(at("id"), format!("`{}` must be a slug: 1–32 of a-z, 0-9, `_`, `-`, starting with a letter", cat.id));
        } else if cats[..i].iter().any(|o| o.id == cat.id) {
            c.fail(at("id"), format!("`{}` is used by an earlier category", cat.id));
        }
        c.text(at("title"), &cat.title);
        c.text(at("description"), &cat.description);
        c.list(at("data"), &cat.data);
        c.list(at("purposes"), &cat.purposes);
        c.text(at("retention"), &cat.retention);
        if cat.required && cat.gpc_off {
            c.fail(at("gpc_off"), "cannot be set on the required category");
        }
        for (j, t) in cat.third_parties.iter().enumerate() {
            third_party(c, vec![Key("category"), Index(i), Key("third_parties"), Index(j)], t);
        }
        // Art. 8 p.4: whether data crosses the border must match where its recipients are.
        let cb = &cat.cross_border;
        for (j, country) in cb.countries.iter().enumerate() {
            c.country(vec![Key("category"), Index(i), Key("cross_border"), Key("countries"), Index(j)], country);
        }
        if cb.transfer && cb.countries.is_empty() {
            c.fail(at("cross_border"), "says `transfer = true` but lists no `countries`");
        }
        if !cb.transfer && !cb.countries.is_empty() {
            c.fail(at("cross_border"), "lists `countries` but says `transfer = false`");
        }
        let abroad = cat
            .third_parties
            .iter()
            .map(|t| t.country.as_str())
            .chain(cat.services.iter().map(|s| s.country.as_str()))
            // A country still left as a TODO is reported once, where it stands.
            .filter(|k| *k != "KZ" && !k.contains("TODO"));
        for k in abroad {
            if !cb.countries.iter().any(|x| x == k) {
                c.fail(at("cross_border"), format!("a recipient is in `{k}`, so `cross_border` must say `transfer = true` and list `{k}`"));
                break;
            }
        }
        for (j, pat) in cat.cookies.iter().enumerate() {
            cookie_pattern(c, vec![Key("category"), Index(i), Key("cookies"), Index(j)], pat);
        }
        for (j, s) in cat.services.iter().enumerate() {
            let path = vec![Key("category"), Index(i), Key("service"), Index(j)];
            if cat.services[..j].iter().any(|o| o.id == s.id) {
                let mut p = path.clone();
                p.push(Key("id"));
                c.fail(p, format!("`{}` is used by an earlier service of this category", s.id));
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
    c.text(at("name"), &t.name);
    c.country(at("country"), &t.country);
    c.text(at("purpose"), &t.purpose);
}

fn service(c: &mut Check, path: Vec<Seg>, s: &Service) {
    let at = |k: &'static str| {
        let mut p = path.clone();
        p.push(Key(k));
        p
    };
    if !crate::is_slug(&s.id) {
        c.fail(at("id"), format!("`{}` must be a slug", s.id));
    }
    for (k, v) in [("name", &s.name), ("provider", &s.provider)] {
        if v.trim().is_empty() {
            c.fail(at(k), "is empty");
        }
        c.no_todo(at(k), v);
    }
    c.country(at("country"), &s.country);
    c.text(at("description"), &s.description);
    for (j, pat) in s.cookies.iter().enumerate() {
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
    for (i, r) in items.iter().enumerate() {
        let at = |k: &'static str| vec![Key("review"), Index(i), Key(k)];
        match r.kind {
            StorageKind::Cookie => {
                if r.name.contains('*') || r.name.is_empty() {
                    c.fail(at("name"), format!("`{}` is not a cookie name", r.name));
                } else {
                    cookie_pattern(c, at("name"), &r.name);
                }
            }
            StorageKind::LocalStorage | StorageKind::SessionStorage => {
                if r.name.is_empty() || r.name.chars().any(char::is_control) {
                    c.fail(at("name"), "must be a storage key: not empty, no control characters");
                }
            }
        }
        if let Some(s) = &r.suggested_category {
            if !crate::is_slug(s) {
                c.fail(at("suggested_category"), format!("`{s}` must be a category id (a slug)"));
            }
        }
        if items[..i].iter().any(|o| o.name == r.name && o.kind == r.kind) {
            c.fail(at("name"), format!("`{}` is listed twice", r.name));
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
    if !is_cookie_pattern(pat) {
        c.fail(path, format!("`{pat}` is not a cookie name or pattern such as `_ga` or `_ym_*`"));
    }
}
