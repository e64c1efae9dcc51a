//! The visitor's receipt page (`GET /receipt/{site}/{consent_id}`): what was agreed, when, under
//! which version of the texts, how to change or withdraw it, who the operator is, and whether
//! each record verifies against the signed log (Art. 8 p.1, Art. 8 p.4, Art. 24 p.1(1)).
//!
//! Plain Rust that renders HTML: every text that is not a literal of this file goes through
//! [`Html::text`], which escapes it. The page has no script and no inline style, so it works
//! under `default-src 'none'; style-src 'self'`.

pub mod text;

use crate::log::proofs::ConsentHistory;
use crate::log::proofs::HistoryEvent;
use kelisim_shared::config::{Config, Text};
use kelisim_shared::lang::Lang;
use kelisim_shared::strings;
use std::sync::Arc;
use text::ReceiptText;

/// HTML under construction: markup only from `&'static str` literals, everything else escaped.
struct Html(String);

impl Html {
    fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }
    fn text(&mut self, s: &str) -> &mut Html {
        for c in s.chars() {
            match c {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&#39;"),
                c => self.0.push(c),
            }
        }
        self
    }
    fn pair(&mut self, label: &str, value: &str) -> &mut Html {
        self.raw("<dt>").text(label).raw("</dt><dd>").text(value).raw("</dd>")
    }
}

pub struct Page<'a> {
    pub lang: Lang,
    /// The site's current config: name, languages, policy link, operator.
    pub config: &'a Config,
    pub consent_id: &'a str,
    /// The site's origins (its policy file's `origins`): the way back to it.
    pub origins: &'a [String],
    pub history: &'a ConsentHistory,
    /// The config version each record references (its category titles).
    pub config_of: &'a dyn Fn(&str) -> Option<Arc<Config>>,
}

fn localized<'a>(t: &'a Text, lang: Lang, config: &Config) -> &'a str {
    t.get_or(lang, &config.languages).map(String::as_str).unwrap_or("")
}

/// `2026-11-22T02:41:28.565Z` → `2026-11-22 02:41:28`.
fn short_time(t: &str) -> String {
    t.get(..19).map(|s| s.replace('T', " ")).unwrap_or_else(|| t.to_owned())
}

fn action_text(t: &ReceiptText, action: &str) -> &'static str {
    match action {
        "accept_all" => t.accept_all,
        "reject_all" => t.reject_all,
        "withdraw" => t.withdraw,
        _ => t.custom,
    }
}

fn category_titles(ids: &[String], config: Option<&Config>, lang: Lang) -> String {
    ids.iter()
        .map(|id| {
            config
                .and_then(|c| c.category(id).map(|cat| localized(&cat.title, lang, c).to_owned()))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_web_link(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// The zone the page shows times in: Kazakhstan's single zone, UTC+5 since 1 March 2024 (a
/// per-site time zone is issue 19's). Exports and the proof details keep UTC.
const ZONE_OFFSET_HOURS: i8 = 5;

/// `2026-12-04T14:42:15.190Z` → `4 декабря 2026 г., 19:42` in the page's language and zone
/// (without the zone's name, which the page says once next to it).
fn local_time(t: &ReceiptText, rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(at) = time::OffsetDateTime::parse(rfc3339, &Rfc3339) else { return short_time(rfc3339) };
    let Ok(offset) = time::UtcOffset::from_hms(ZONE_OFFSET_HOURS, 0, 0) else { return short_time(rfc3339) };
    let l = at.to_offset(offset);
    t.date_format
        .replace("{d}", &l.day().to_string())
        .replace("{m}", t.months[usize::from(u8::from(l.month())) - 1])
        .replace("{y}", &l.year().to_string())
        .replace("{hm}", &format!("{:02}:{:02}", l.hour(), l.minute()))
}

/// The site's first origin, where "back to the site" and "change my choice" lead (`#kelisim`
/// opens the widget's preferences on any page that embeds it).
fn site_origin(origins: &[String]) -> Option<&str> {
    origins.iter().map(String::as_str).find(|o| is_web_link(o))
}

pub fn render(p: &Page) -> String {
    let t = text::text(p.lang);
    let ui = strings::ui(p.lang);
    let c = p.config;
    let mut h = Html(String::with_capacity(8192));
    h.raw("<!doctype html>\n<html lang=\"").text(p.lang.code()).raw("\"><head><meta charset=\"utf-8\">");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">");
    h.raw("<title>").text(t.title).raw(" — ").text(&c.name).raw("</title>");
    h.raw("<link rel=\"stylesheet\" href=\"/receipt.css\"></head><body><main>");
    h.raw("<nav aria-label=\"").text(ui.language).raw("\">");
    for l in &c.languages {
        if *l == p.lang {
            h.raw("<span aria-current=\"true\">").text(strings::ui(*l).language_name).raw("</span> ");
        } else {
            h.raw("<a hreflang=\"")
                .text(l.code())
                .raw("\" lang=\"")
                .text(l.code())
                .raw("\" href=\"?lang=")
                .text(l.code())
                .raw("\">");
            h.text(strings::ui(*l).language_name).raw("</a> ");
        }
    }
    h.raw("</nav><h1>")
        .text(t.title)
        .raw("</h1><p class=\"intro\">")
        .text(&t.intro.replace("{site}", &c.name))
        .raw("</p>");

    let events = &p.history.events;
    match events.last() {
        None => {
            h.raw("<p class=\"notice\">").text(t.not_found).raw("</p>");
            links(&mut h, p, t);
        }
        Some(last) => {
            summary(&mut h, p, t, &last.event);
            history_list(&mut h, p, t);
        }
    }

    h.raw("<section><h2>").text(t.how_to_change).raw("</h2><p>").text(t.how_to_change_text).raw("</p>");
    if is_web_link(&c.policy_url) {
        h.raw("<p><a href=\"").text(&c.policy_url).raw("\" rel=\"noopener\">").text(ui.policy_link).raw("</a></p>");
    }
    h.raw("</section>");

    let op = &c.operator;
    h.raw("<section><h2>").text(ui.operator).raw("</h2><dl>");
    h.pair(ui.operator, localized(&op.name, p.lang, c));
    if let Some(bin) = &op.bin {
        h.pair(ui.bin, bin);
    }
    if let Some(a) = &op.address {
        h.pair(t.address, localized(a, p.lang, c));
    }
    if let Some(e) = &op.email {
        h.raw("<dt>").text(t.email).raw("</dt><dd><a href=\"mailto:").text(e).raw("\">").text(e).raw("</a></dd>");
    }
    if let Some(ph) = &op.phone {
        h.pair(t.phone, ph);
    }
    if let Some(r) = &op.responsible_person {
        h.pair(t.responsible, localized(r, p.lang, c));
    }
    h.pair(ui.storage_country, strings::country_name(&op.storage_country, p.lang).unwrap_or(&op.storage_country));
    h.raw("</dl></section>");
    if !events.is_empty() {
        proof(&mut h, p, t);
    }
    h.raw("</main></body></html>\n");
    h.0
}

/// What the latest decision means, in plain words: the sentence for its action, what is allowed
/// and what is not (or was withdrawn), when, and the way back to the site to change it.
fn summary(h: &mut Html, p: &Page, t: &ReceiptText, e: &HistoryEvent) {
    let cfg = (p.config_of)(&e.config_version);
    // A withdrawal that keeps an optional category (any decision that turns one off is logged as
    // a withdrawal) says so.
    let keeps_optional =
        cfg.as_deref().is_some_and(|c| e.granted.iter().any(|g| c.category(g).is_some_and(|cat| !cat.required)));
    let lead = match e.action.as_str() {
        "accept_all" => t.lead_accept_all,
        "reject_all" => t.lead_reject_all,
        "withdraw" if keeps_optional => t.lead_withdraw_some,
        "withdraw" => t.lead_withdraw,
        _ => t.lead_custom,
    };
    h.raw("<section class=\"summary\" aria-labelledby=\"now\"><h2 id=\"now\">").text(t.current).raw("</h2>");
    h.raw("<p class=\"lead\">").text(lead).raw("</p><dl>");
    h.pair(t.allowed, &category_titles(&e.granted, cfg.as_deref(), p.lang));
    let events = &p.history.events;
    // A withdrawal names what it took back: what the decision before it granted and this one
    // does not.
    let withdrawn: Vec<String> = match (e.action.as_str(), events.len().checked_sub(2).map(|i| &events[i].event)) {
        ("withdraw", Some(before)) => before.granted.iter().filter(|g| !e.granted.contains(g)).cloned().collect(),
        _ => Vec::new(),
    };
    if !withdrawn.is_empty() {
        h.pair(t.withdrawn, &category_titles(&withdrawn, cfg.as_deref(), p.lang));
    }
    if let Some(cfg) = cfg.as_deref() {
        let denied: Vec<String> = cfg
            .categories
            .iter()
            .map(|c| c.id.clone())
            .filter(|id| !e.granted.contains(id) && !withdrawn.contains(id))
            .collect();
        if !denied.is_empty() {
            h.pair(t.not_allowed, &category_titles(&denied, Some(cfg), p.lang));
        }
    }
    h.raw("<dt>").text(t.decided_at).raw("</dt><dd><time datetime=\"").text(&e.recorded_at).raw("\">");
    h.text(&local_time(t, &e.recorded_at)).raw("</time> (").text(t.zone).raw(")</dd></dl>");
    let failed = events.iter().any(|e| e.event.problem.is_some() || (e.proof.is_some() && !e.verified));
    if failed {
        h.raw("<p class=\"notice\">").text(t.failed).raw("</p>");
    } else if events.last().is_some_and(|l| l.verified) {
        h.raw("<p class=\"ok\">").text(t.checked_short).raw("</p>");
    } else if events.last().is_some_and(|l| l.proof.is_none()) {
        // The latest decision is newer than the last signed checkpoint.
        h.raw("<p>").text(t.pending).raw("</p>");
    }
    links(h, p, t);
    h.raw("</section>");
}

/// "Change my choice on the site" (the site with `#kelisim`, which opens the preferences) and
/// "Back to the site".
fn links(h: &mut Html, p: &Page, t: &ReceiptText) {
    let Some(origin) = site_origin(p.origins) else { return };
    let origin = origin.trim_end_matches('/');
    h.raw("<p class=\"links\"><a class=\"button\" href=\"")
        .text(origin)
        .raw("/#kelisim\">")
        .text(t.change_on_site)
        .raw("</a> ");
    h.raw("<a href=\"")
        .text(origin)
        .raw("/\">")
        .text(&t.back_to_site.replace("{site}", &p.config.name))
        .raw("</a></p>");
}

fn history_list(h: &mut Html, p: &Page, t: &ReceiptText) {
    h.raw("<section><h2>").text(t.history).raw("</h2><ol class=\"history\" reversed>");
    for pe in p.history.events.iter().rev() {
        let e = &pe.event;
        let cfg = (p.config_of)(&e.config_version);
        let mut action = action_text(t, &e.action).to_owned();
        if e.gpc {
            action = format!("{action} ({})", t.gpc);
        }
        h.raw("<li><time datetime=\"")
            .text(&e.recorded_at)
            .raw("\">")
            .text(&local_time(t, &e.recorded_at))
            .raw("</time> ");
        h.raw("<strong>").text(&action).raw("</strong> <span>").text(&category_titles(
            &e.granted,
            cfg.as_deref(),
            p.lang,
        ));
        h.raw("</span></li>");
    }
    h.raw("</ol></section>");
}

/// The proof, folded: the consent id, the verdict against the signed checkpoint, and each
/// record's number in the log, hash and text version, in UTC as the log keeps them.
fn proof(h: &mut Html, p: &Page, t: &ReceiptText) {
    h.raw("<details class=\"proof\"><summary>").text(t.proof).raw("</summary><p>").text(t.proof_intro).raw("</p>");
    h.raw("<p>").text(t.consent_id).raw(": <code>").text(p.consent_id).raw("</code></p>");
    let events = &p.history.events;
    let failed = events.iter().any(|e| e.event.problem.is_some() || (e.proof.is_some() && !e.verified));
    let pending = events.iter().any(|e| e.proof.is_none() && e.event.problem.is_none());
    if failed {
        h.raw("<p class=\"notice\">").text(t.failed).raw("</p>");
    } else if let Some(cp) = p.history.checkpoint.as_ref().filter(|_| events.iter().any(|e| e.verified)) {
        let s = t.verified.replace("{size}", &cp.tree_size.to_string()).replace("{time}", &short_time(&cp.signed_at));
        h.raw("<p class=\"ok\">").text(&s).raw("</p>");
    }
    if pending {
        h.raw("<p>").text(t.pending).raw("</p>");
    }
    h.raw("<ol class=\"records\" reversed>");
    for pe in events.iter().rev() {
        let e = &pe.event;
        let lang_name = Lang::from_tag(&e.language).map(|l| strings::ui(l).language_name).unwrap_or(&e.language);
        h.raw("<li><dl>");
        h.pair(t.col_time_utc, &short_time(&e.recorded_at));
        h.pair(strings::ui(p.lang).language, lang_name);
        h.pair(t.col_seq, &e.seq.to_string());
        h.raw("<dt>").text(t.col_hash).raw("</dt><dd><code>").text(&hex::encode(e.leaf_hash)).raw("</code></dd>");
        h.raw("<dt>").text(t.col_version).raw("</dt><dd><code>").text(&e.config_version).raw("</code></dd>");
        h.raw("</dl></li>");
    }
    h.raw("</ol></details>");
}

pub const STYLESHEET: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--ok:#116329;--warn:#9a3412;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d;--panel:#161b22;--ok:#3fb950;--warn:#f0883e;--accent:#8ab4f8}}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
main{max-width:46rem;margin:0 auto;padding:1rem}
nav{display:flex;flex-wrap:wrap;gap:.75rem;justify-content:flex-end;font-size:.95rem}
nav span{font-weight:600}
a{color:var(--accent)}
a:focus-visible,summary:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.intro{color:var(--muted)}
.summary{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:0 1rem 1rem}
.lead{font-size:1.1rem;font-weight:600}
dl{display:grid;grid-template-columns:minmax(7rem,35%) 1fr;gap:.35rem 1rem;margin:0}
dt{color:var(--muted)}
dd{margin:0}
@media (max-width:32rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.5rem}}
.links{display:flex;flex-wrap:wrap;gap:.75rem 1.25rem;align-items:center;margin-top:1rem}
.button{display:inline-block;padding:.55rem 1rem;border-radius:6px;background:var(--accent);color:var(--bg);font-weight:600;text-decoration:none}
.history{padding-left:1.25rem}
.history li{margin:.4rem 0}
.history time{color:var(--muted);display:block;font-size:.9rem}
.history span{display:block}
details{margin-top:2rem;border-top:1px solid var(--line);padding-top:1rem}
summary{cursor:pointer;font-weight:600}
.records{padding-left:1.25rem}
.records li{margin:.75rem 0}
code{font-size:.85em;word-break:break-all}
.ok{color:var(--ok)}
.notice{color:var(--warn);font-weight:600}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut h = Html(String::new());
        h.raw("<p>").text("<script>alert('x')</script> & \"q\"").raw("</p>");
        assert_eq!(h.0, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
    }

    #[test]
    fn times_are_shown_in_kazakhstan_time_in_the_pages_language() {
        // 20:30 UTC on New Year's Eve is already the next year in Kazakhstan (UTC+5).
        let at = "2026-12-31T20:30:15.190Z";
        assert_eq!(local_time(text::text(Lang::Ru), at), "1 января 2027 г., 01:30");
        assert_eq!(local_time(text::text(Lang::Kk), at), "2027 жылғы 1 қаңтар, 01:30");
        assert_eq!(local_time(text::text(Lang::En), at), "1 January 2027, 01:30");
        assert_eq!(local_time(text::text(Lang::Ru), "2026-06-05T04:05:00Z"), "5 июня 2026 г., 09:05");
        // Not a time: shown as stored rather than lost.
        assert_eq!(local_time(text::text(Lang::Ru), "garbage"), "garbage");
    }

    #[test]
    fn only_web_links_are_linked() {
        assert!(is_web_link("https://a.kz/privacy"));
        assert!(!is_web_link("javascript:alert(1)"));
    }
}
