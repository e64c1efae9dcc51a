//! Applies the rules of `rules.rs` to every sentence of a policy and returns what it finds,
//! each finding tied to its sentence (and so to its clause and quote).
//!
//! Keyword rules run as one `RegexSet` pass per sentence; the value patterns (legal names,
//! e-mails, dates…) are plain regexes. The `regex` crate matches in time linear in the text,
//! and nothing here looks at more than a sentence and the sentence introducing its list, so
//! the whole extraction is linear in the size of the policy.

use super::categories::{CategoryId, Texts};
use super::reader::{Place, Policy, Sentence};
use super::rules::{self, Kind, Scope, COOKIES, COUNTRIES, RULES, SERVICES};
use kelisim_shared::lang::Lang;
use regex::{Regex, RegexSet, RegexSetBuilder};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

pub struct Finding {
    pub kind: Kind,
    /// The rule's id for keyword rules ("ip_address"), the kind's name for values.
    pub id: &'static str,
    pub category: Option<CategoryId>,
    /// What was found, in the words of the policy's language (a label or the value itself).
    pub value: String,
    /// The value in `kk`, `ru`, `en` where it is known: a rule's neutral wording, or a legal
    /// name with its form translated. `None` where only the policy's own language is known.
    pub texts: [Option<String>; 3],
    /// For recipients and storage: the country the sentence names, if it names one.
    pub country: Option<&'static str>,
    pub sentence: usize,
    /// The matched text, as a byte range in the sentence.
    pub span: Range<usize>,
    /// What is wrong with it, in kk, ru, en (the constants below).
    pub warning: Option<Texts>,
}

/// The warnings, in kk, ru, en: the draft says a finding's in its reader's language, the JSON
/// report in English.
pub const IMPLIED_CONSENT_WARNING: Texts = [
    "№ 94-V Заң (7, 8, 9-баптар) айқын келісімді талап етеді: сайтты пайдалану келісім болып саналмайды. Kelisim міндетті емес нәрсенің бәрін іске қоспас бұрын келісім сұрайды; бұл сөйлемді саясаттан алып тастаңыз.",
    "Закон № 94-V (ст. 7, 8, 9) требует явного согласия, а использование сайта таковым не является. Kelisim запрашивает согласие до запуска всего необязательного; уберите это предложение из политики.",
    "Law 94-V (Art. 7, 8, 9) needs an explicit consent: using the site is not one. Kelisim asks for consent before anything optional runs; remove this sentence from the policy.",
];
pub const LEGITIMATE_INTEREST_WARNING: Texts = [
    "№ 94-V Заңда «заңды мүдде» деген негіз жоқ: заң немесе шарт талап етпейтін өңдеуге субъектінің келісімі қажет (7, 9-баптар).",
    "В Законе № 94-V нет основания «законный интерес»: обработка, которой не требуют закон или договор, допускается только с согласия субъекта (ст. 7, 9).",
    "Law 94-V has no legitimate-interest basis: processing that is not required by law or a contract needs the person's consent (Art. 7, 9).",
];
pub const BAD_BIN_WARNING: Texts = [
    "Бұл БСН/ЖСН бақылау цифры бойынша тексеруден өтпейді, сондықтан жобаға жазылмады. Оны тізіліммен салыстырыңыз.",
    "У этого БИН/ИИН не сходится контрольная цифра, поэтому в черновик он не записан. Сверьте его с реестром.",
    "This BIN/IIN fails the check digit: it is not written into the draft. Check it against the register.",
];

/// Case-insensitive, and `\w` narrowed to the letters policies are written in (Cyrillic,
/// Latin, digits): Unicode's full `\w`, repeated in every stem of the table, makes the
/// automaton too big to compile, and no other script appears in these words.
fn ci(p: &str) -> String {
    format!("(?i){}", p.replace(r"\w", r"[\p{Cyrillic}a-z0-9_]"))
}

struct Compiled {
    set: RegexSet,
    each: Vec<Regex>,
    services: Vec<Regex>,
    cookies: Vec<Regex>,
    countries: Vec<Regex>,
    legal_name: Regex,
    operator_marker: Regex,
    bin: Regex,
    email: Regex,
    phone: Regex,
    address: Regex,
    address_shape: Regex,
    url: Regex,
    domain: Regex,
    policy_url_marker: Regex,
    dates: [Regex; 4],
    months: Vec<Regex>,
    law_number_after: Regex,
    date_marker: Regex,
    version: Regex,
    retention_term: Regex,
    retention_context: Regex,
    transfer_context: Regex,
    transfer_cases_lead: Regex,
}

static RX: LazyLock<Compiled> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("bad rule pattern {p}: {e}"));
    Compiled {
        // A lazy DFA cache big enough for all the rules at once; with the default, matching
        // falls back to the much slower PikeVM.
        set: RegexSetBuilder::new(RULES.iter().map(|r| ci(r.pattern)))
            .dfa_size_limit(64 << 20)
            .build()
            .expect("rule patterns compile"),
        each: RULES.iter().map(|r| re(&ci(r.pattern))).collect(),
        services: SERVICES.iter().map(|s| re(&ci(s.pattern))).collect(),
        cookies: COOKIES.iter().map(|c| re(c.0)).collect(),
        countries: COUNTRIES.iter().map(|c| re(&ci(c.1))).collect(),
        legal_name: re(rules::LEGAL_NAME),
        operator_marker: re(&ci(rules::OPERATOR_MARKER)),
        bin: re(rules::BIN),
        email: re(rules::EMAIL),
        phone: re(rules::PHONE),
        address: re(rules::ADDRESS),
        address_shape: re(rules::ADDRESS_SHAPE),
        url: re(rules::URL),
        domain: re(rules::DOMAIN),
        policy_url_marker: re(rules::POLICY_URL_MARKER),
        dates: [re(rules::DATE_NUMERIC), re(rules::DATE_ISO), re(rules::DATE_RU), re(rules::DATE_KK)],
        months: rules::MONTHS.iter().map(|m| re(&format!("(?i)^({m})"))).collect(),
        law_number_after: re(rules::LAW_NUMBER_AFTER),
        date_marker: re(rules::DATE_MARKER),
        version: re(rules::VERSION),
        retention_term: re(rules::RETENTION_TERM),
        retention_context: re(rules::RETENTION_CONTEXT),
        transfer_context: re(rules::TRANSFER_CONTEXT),
        transfer_cases_lead: re(rules::TRANSFER_CASES_LEAD),
    }
});

/// Everything the rules find in the policy, in text order.
pub fn extract(policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut sites = HashSet::new();
    let mut transfer_item_seen = None;
    for (i, s) in policy.sentences.iter().enumerate() {
        let text = policy.text(s);
        let mut found = Found { out: &mut out, sentence: i, sites: &mut sites };
        if !s.definition {
            keywords(policy, s, text, &mut found);
        }
        values(policy, s, text, &mut found);
        // Each item of «… передать третьим лицам в следующих случаях:» is a case of transfer.
        if transfer_item_seen != Some(s.block) && policy.lead(s).is_some_and(|l| RX.transfer_cases_lead.is_match(l)) {
            transfer_item_seen = Some(s.block);
            found.push(Kind::TransferCondition, "transfer_condition", None, text.to_owned(), 0..text.len());
        }
    }
    out
}

struct Found<'a> {
    out: &'a mut Vec<Finding>,
    sentence: usize,
    /// The hosts already reported.
    sites: &'a mut HashSet<String>,
}

impl Found<'_> {
    fn push(
        &mut self,
        kind: Kind,
        id: &'static str,
        category: Option<CategoryId>,
        value: String,
        span: Range<usize>,
    ) -> &mut Finding {
        self.out.push(Finding {
            kind,
            id,
            category,
            value,
            texts: [None, None, None],
            country: None,
            sentence: self.sentence,
            span,
            warning: None,
        });
        self.out.last_mut().unwrap()
    }
}

fn texts(t: [&str; 3]) -> [Option<String>; 3] {
    t.map(|s| Some(s.to_owned()))
}

fn in_lang(t: &[&'static str; 3], lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => t[0],
        Lang::Ru => t[1],
        Lang::En => t[2],
    }
}

/// The countries a text names, in the order of `COUNTRIES`.
pub fn countries(text: &str) -> Vec<&'static str> {
    COUNTRIES.iter().zip(&RX.countries).filter(|(_, re)| re.is_match(text)).map(|(c, _)| c.0).collect()
}

fn keywords(policy: &Policy, s: &Sentence, text: &str, found: &mut Found) {
    let mut hits: Vec<(usize, Range<usize>)> =
        RX.set.matches(text).into_iter().filter_map(|r| RX.each[r].find(text).map(|m| (r, m.range()))).collect();
    // Same kind, same category, overlapping text: the rule listed first wins.
    let mut keep = vec![true; hits.len()];
    for j in 0..hits.len() {
        for i in 0..j {
            let (a, b) = (&RULES[hits[i].0], &RULES[hits[j].0]);
            if keep[i]
                && a.kind == b.kind
                && a.category == b.category
                && hits[i].1.start < hits[j].1.end
                && hits[j].1.start < hits[i].1.end
            {
                keep[j] = false;
            }
        }
    }
    let mut k = keep.iter();
    hits.retain(|_| *k.next().unwrap());
    let transfer =
        RX.transfer_context.is_match(text) || policy.lead(s).is_some_and(|l| RX.transfer_context.is_match(l));
    for (r, span) in hits {
        let rule = &RULES[r];
        if rule.scope == Scope::Transfer && !transfer {
            continue;
        }
        let country = match rule.kind {
            // A storage statement counts only with the country it names.
            // A storage statement counts only with the country it names: in the words matched,
            // else in its sentence («Қазақстан Республикасының аумағында орналасқан серверлерде»).
            Kind::Storage => match countries(&text[span.clone()]).first().or(countries(text).first()) {
                Some(c) => Some(*c),
                None => continue,
            },
            Kind::ThirdParty => {
                countries(text).first().copied().or_else(|| policy.lead(s).and_then(|l| countries(l).first().copied()))
            }
            _ => None,
        };
        let value = match rule.kind {
            Kind::CrossBorder => countries(text).into_iter().filter(|c| *c != "KZ").collect::<Vec<_>>().join(","),
            Kind::Storage => country.unwrap_or_default().to_owned(),
            _ => in_lang(&rule.label, policy.lang).to_owned(),
        };
        let f = found.push(rule.kind, rule.id, rule.category, value, span);
        f.texts = texts(rule.label);
        f.country = country;
        f.warning = match rule.kind {
            Kind::ImpliedConsent => Some(IMPLIED_CONSENT_WARNING),
            Kind::LegitimateInterest => Some(LEGITIMATE_INTEREST_WARNING),
            _ => None,
        };
    }
    for (svc, re) in SERVICES.iter().zip(&RX.services) {
        if let Some(m) = re.find(text) {
            found.push(Kind::Service, svc.id, Some(svc.category), svc.name.to_owned(), m.range()).country =
                Some(svc.country());
        }
    }
    for ((_, name, category), re) in COOKIES.iter().zip(&RX.cookies) {
        if let Some(m) = re.find(text) {
            found.push(Kind::CookieName, name, Some(*category), (*name).to_owned(), m.range());
        }
    }
    if RX.retention_context.is_match(text) {
        if let Some(c) = RX.retention_term.captures(text) {
            let m = c.get(0).unwrap();
            let (n, unit) = match (c.name("n"), c.name("kn")) {
                (Some(n), _) => (n.as_str(), c.name("unit").map_or("", |u| u.as_str())),
                (_, Some(n)) => (n.as_str(), c.name("kunit").map_or("", |u| u.as_str())),
                _ => return,
            };
            if let Some(t) = term(n, unit) {
                let f = found.push(Kind::Retention, "term", None, m.as_str().trim().to_owned(), m.range());
                f.texts = t;
            }
        }
    }
}

/// «3 года» / «3 жыл» in the three languages: a number and a unit, nothing else invented.
fn term(n: &str, unit: &str) -> Option<[Option<String>; 3]> {
    let count: u64 = n.parse().ok()?;
    let u = unit.to_lowercase();
    let (kk, ru, en) = if u.starts_with("лет") || u.starts_with("год") || u.starts_with("жыл") {
        ("жыл", plural(count, "год", "года", "лет"), "year")
    } else if u.starts_with("месяц") || u == "ай" {
        ("ай", plural(count, "месяц", "месяца", "месяцев"), "month")
    } else if u.contains("дн") || u.starts_with("сут") || u.starts_with("күн") {
        ("күн", plural(count, "день", "дня", "дней"), "day")
    } else {
        return None;
    };
    let en = if count == 1 { format!("1 {en}") } else { format!("{count} {en}s") };
    Some([Some(format!("{count} {kk}")), Some(format!("{count} {ru}")), Some(en)])
}

fn plural(n: u64, one: &'static str, few: &'static str, many: &'static str) -> &'static str {
    match (n % 10, n % 100) {
        (1, h) if h != 11 => one,
        (2..=4, h) if !(12..=14).contains(&h) => few,
        _ => many,
    }
}

fn values(policy: &Policy, s: &Sentence, text: &str, found: &mut Found) {
    for c in RX.legal_name.captures_iter(text) {
        let (names, span) = if let (Some(form), Some(name)) = (c.name("form"), c.name("name")) {
            (legal_name(form.as_str(), name.as_str().trim()), form.start()..c.get(0).unwrap().end())
        } else if let (Some(form), Some(name)) = (c.name("kkform"), c.name("kkname")) {
            let quote = text[..name.start()].chars().next_back().map_or(0, char::len_utf8);
            (legal_name(form.as_str(), name.as_str().trim()), name.start() - quote..form.end())
        } else if let (Some(form), Some(person)) = (c.name("ipform"), c.name("person")) {
            (sole_trader(person.as_str().trim()), form.start()..person.end())
        } else {
            continue;
        };
        let id = if RX.operator_marker.is_match(text) { "operator_presented" } else { "operator_mentioned" };
        let value = names[if policy.lang == Lang::Kk { 0 } else { 1 }].clone().unwrap_or_default();
        found.push(Kind::OperatorName, id, None, value, span).texts = names;
    }
    for c in RX.bin.captures_iter(text) {
        let m = c.get(1).unwrap();
        let f = found.push(Kind::Bin, "bin", None, m.as_str().to_owned(), c.get(0).unwrap().start()..m.end());
        if !kelisim_shared::policy::is_valid_bin(m.as_str()) {
            f.warning = Some(BAD_BIN_WARNING);
        }
    }
    for m in RX.email.find_iter(text) {
        found.push(Kind::Email, "email", None, m.as_str().to_owned(), m.range());
    }
    for c in RX.phone.captures_iter(text) {
        let value = format!("+7 {} {} {} {}", &c[1], &c[2], &c[3], &c[4]);
        let m = c.get(0).unwrap();
        let start = m.start() + m.as_str().find(['+', '8']).unwrap_or(0);
        found.push(Kind::Phone, "phone", None, value, start..c.get(4).unwrap().end());
    }
    if let Some(c) = RX.address.captures(text) {
        let a = c.name("address").unwrap();
        let address = a.as_str().trim().trim_end_matches(['.', ',']).trim();
        let lower = address.to_lowercase();
        if RX.address_shape.is_match(address)
            && !lower.contains('@')
            && !lower.contains("http")
            && !lower.starts_with("www")
            && !lower.starts_with("электрон")
        {
            let f =
                found.push(Kind::Address, "address", None, address.to_owned(), a.start()..a.start() + address.len());
            f.texts[if policy.lang == Lang::Kk { 0 } else { 1 }] = Some(address.to_owned());
        }
    }
    let policy_url_here = RX.policy_url_marker.is_match(text);
    let mut policy_url_done = false;
    for m in RX.url.find_iter(text) {
        let url = m.as_str().trim_end_matches(['.', ',', ')', ':']);
        let Some(host) = url.split("://").nth(1).map(|r| r.split(['/', '?', '#', ':']).next().unwrap_or("")) else {
            continue;
        };
        if host.is_empty() || is_foreign(host) {
            continue;
        }
        let span = m.start()..m.start() + url.len();
        site(found, host, span.clone());
        if policy_url_here && !policy_url_done {
            policy_url_done = true;
            let scheme_and_host = url.len() - url.split_once("://").map_or(0, |(_, r)| r.len() - host.len());
            let normalized = format!("{}{}", url[..scheme_and_host].to_lowercase(), &url[scheme_and_host..]);
            found.push(Kind::PolicyUrl, "policy_url", None, normalized, span);
        }
    }
    for c in RX.domain.captures_iter(text) {
        let h = c.name("host").unwrap();
        if is_foreign(h.as_str()) {
            continue;
        }
        site(found, h.as_str(), h.range());
        if policy_url_here && !policy_url_done {
            policy_url_done = true;
            // The policy names a domain without a scheme; https is assumed, and the draft says so.
            found.push(
                Kind::PolicyUrl,
                "policy_url_without_scheme",
                None,
                format!("https://{}", h.as_str().to_lowercase()),
                h.range(),
            );
        }
    }
    dates(policy, s, text, found);
    if let Some(c) = RX.version.captures(text) {
        let v = c.name("v").unwrap();
        found.push(Kind::Version, "version", None, v.as_str().to_owned(), c.get(0).unwrap().range());
    }
}

/// A host of the site, reported where the policy first names it.
fn site(found: &mut Found, host: &str, span: Range<usize>) {
    let value = host.to_lowercase();
    if !found.sites.insert(value.clone()) {
        return;
    }
    let f = found.push(Kind::Site, "site", None, value, span);
    // As written, for the display name («Neupusti.kz»).
    f.texts[2] = Some(host.to_owned());
}

fn is_foreign(host: &str) -> bool {
    let h = host.to_lowercase();
    rules::FOREIGN_HOSTS
        .iter()
        .any(|f| h.starts_with(f) || h.contains(&format!(".{f}")) || (f.ends_with(".kz") && h.ends_with(f)))
}

/// The legal name in the three languages: the form is translated (ТОО = ЖШС = LLP, АО = АҚ =
/// JSC), the name itself is kept as written; English only for a name written in Latin letters.
fn legal_name(form: &str, name: &str) -> [Option<String>; 3] {
    let (kk, ru, en) = match form {
        "ЖШС" | "ТОО" | "TOO" => ("ЖШС", "ТОО", "LLP"),
        "АҚ" | "АО" => ("АҚ", "АО", "JSC"),
        f if f.starts_with("Товарищ") => ("ЖШС", "ТОО", "LLP"),
        _ => ("АҚ", "АО", "JSC"),
    };
    let latin = name.chars().all(|c| c.is_ascii() || !c.is_alphabetic());
    [Some(format!("«{name}» {kk}")), Some(format!("{ru} «{name}»")), latin.then(|| format!("{name} {en}"))]
}

fn sole_trader(person: &str) -> [Option<String>; 3] {
    let latin = person.chars().all(|c| c.is_ascii() || !c.is_alphabetic());
    [
        Some(format!("ЖК {person}")),
        Some(format!("ИП {person}")),
        latin.then(|| format!("Individual Entrepreneur {person}")),
    ]
}

fn dates(policy: &Policy, s: &Sentence, text: &str, found: &mut Found) {
    let block = policy.block(s);
    let standalone = matches!(block.place, Place::Title | Place::Preamble) && block.text.chars().count() <= 60;
    let marked = RX.date_marker.is_match(text);
    if !standalone && !marked {
        return;
    }
    for (k, re) in RX.dates.iter().enumerate() {
        for c in re.captures_iter(text) {
            let m = c.get(0).unwrap();
            if RX.law_number_after.is_match(&text[m.end()..]) {
                continue;
            }
            let before = text[..m.start()].trim_end();
            if before.ends_with("от") && before.to_lowercase().contains("закон") {
                continue;
            }
            let month = match k {
                0 | 1 => c["m"].parse::<u32>().ok(),
                _ => RX.months.iter().position(|re| re.is_match(&c["mon"])).map(|i| i as u32 + 1),
            };
            let (Some(month), Ok(day)) = (month, c["d"].parse::<u32>()) else { continue };
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                continue;
            }
            let value = format!("{}-{month:02}-{day:02}", &c["y"]);
            let id = if marked { "updated" } else { "standalone" };
            // The match without the neighbouring characters the pattern needed to see.
            let lead =
                m.as_str().len() - m.as_str().trim_start_matches(|ch: char| !ch.is_alphanumeric() && ch != '«').len();
            let end = ["d", "m", "mon", "y"].iter().filter_map(|g| c.name(g)).map(|g| g.end()).max().unwrap_or(m.end());
            let span = m.start() + lead..end;
            found.push(Kind::Date, id, None, value, span);
        }
    }
}
