//! The visitor's receipt page (`GET /receipt/{site}/{consent_id}`): what was agreed, when, under
//! which version of the texts, how to change or withdraw it, who the operator is, and whether
//! each record verifies against the signed log (Art. 8 p.1, Art. 8 p.4, Art. 24 p.1(1)).
//!
//! Plain Rust that renders HTML: every text that is not a literal of this file goes through
//! [`Html::text`], which escapes it. The page has no script and no inline style, so it works
//! under `default-src 'none'; style-src 'self'`.

pub mod text;

use crate::log::proofs::ConsentHistory;
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
    fn row(&mut self, label: &str, value: &str) -> &mut Html {
        self.raw("<tr><th scope=\"row\">").text(label).raw("</th><td>").text(value).raw("</td></tr>")
    }
}

pub struct Page<'a> {
    pub lang: Lang,
    /// The site's current config: name, languages, policy link, operator.
    pub config: &'a Config,
    pub consent_id: &'a str,
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
            h.raw("<a hreflang=\"").text(l.code()).raw("\" href=\"?lang=").text(l.code()).raw("\">");
            h.text(strings::ui(*l).language_name).raw("</a> ");
        }
    }
    h.raw("</nav><h1>").text(t.title).raw("</h1><p>").text(&t.intro.replace("{site}", &c.name)).raw("</p>");
    h.raw("<p class=\"id\">").text(t.consent_id).raw(": <code>").text(p.consent_id).raw("</code></p>");

    let events = &p.history.events;
    match events.last() {
        None => {
            h.raw("<p class=\"notice\">").text(t.not_found).raw("</p>");
        }
        Some(last) => {
            let e = &last.event;
            let cfg = (p.config_of)(&e.config_version);
            h.raw("<section><h2>").text(t.current).raw("</h2><table>");
            h.row(t.col_action, action_text(t, &e.action));
            h.row(t.granted, &category_titles(&e.granted, cfg.as_deref(), p.lang));
            h.row(t.decided_at, &format!("{} UTC", short_time(&e.recorded_at)));
            h.row(t.col_version, &e.config_version[..12.min(e.config_version.len())]);
            h.raw("</table></section>");
            history_table(&mut h, p, t);
            integrity(&mut h, p, t);
        }
    }

    h.raw("<section><h2>").text(t.how_to_change).raw("</h2><p>").text(t.how_to_change_text).raw("</p>");
    if is_web_link(&c.policy_url) {
        h.raw("<p><a href=\"").text(&c.policy_url).raw("\" rel=\"noopener\">").text(ui.policy_link).raw("</a></p>");
    }
    h.raw("</section>");

    let op = &c.operator;
    h.raw("<section><h2>").text(ui.operator).raw("</h2><table>");
    h.row(ui.operator, localized(&op.name, p.lang, c));
    if let Some(bin) = &op.bin {
        h.row(ui.bin, bin);
    }
    if let Some(a) = &op.address {
        h.row(t.address, localized(a, p.lang, c));
    }
    if let Some(e) = &op.email {
        h.raw("<tr><th scope=\"row\">").text(t.email).raw("</th><td><a href=\"mailto:").text(e).raw("\">").text(e);
        h.raw("</a></td></tr>");
    }
    if let Some(ph) = &op.phone {
        h.row(t.phone, ph);
    }
    if let Some(r) = &op.responsible_person {
        h.row(t.responsible, localized(r, p.lang, c));
    }
    h.row(ui.storage_country, strings::country_name(&op.storage_country, p.lang).unwrap_or(&op.storage_country));
    h.raw("</table></section></main></body></html>\n");
    h.0
}

fn history_table(h: &mut Html, p: &Page, t: &ReceiptText) {
    h.raw("<section><h2>").text(t.history).raw("</h2><div class=\"scroll\"><table class=\"history\"><thead><tr>");
    for col in [t.col_time, t.col_action, t.col_categories, t.col_language, t.col_version, t.col_seq, t.col_hash] {
        h.raw("<th scope=\"col\">").text(col).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for pe in p.history.events.iter().rev() {
        let e = &pe.event;
        let cfg = (p.config_of)(&e.config_version);
        let lang_name = Lang::from_tag(&e.language).map(|l| strings::ui(l).language_name).unwrap_or(&e.language);
        let mut action = action_text(t, &e.action).to_owned();
        if e.gpc {
            action = format!("{action} ({})", t.gpc);
        }
        h.raw("<tr><td>").text(&short_time(&e.recorded_at)).raw("</td><td>").text(&action).raw("</td><td>");
        h.text(&category_titles(&e.granted, cfg.as_deref(), p.lang)).raw("</td><td>").text(lang_name);
        h.raw("</td><td><code>").text(&e.config_version[..12.min(e.config_version.len())]).raw("</code></td><td>");
        h.text(&e.seq.to_string()).raw("</td><td><code title=\"").text(&hex::encode(e.leaf_hash)).raw("\">");
        h.text(&hex::encode(&e.leaf_hash[..8])).raw("…</code></td></tr>");
    }
    h.raw("</tbody></table></div></section>");
}

fn integrity(h: &mut Html, p: &Page, t: &ReceiptText) {
    h.raw("<section><h2>").text(t.integrity).raw("</h2>");
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
    h.raw("</section>");
}

pub const STYLESHEET: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;--line:#d0d7de;--ok:#116329;--warn:#9a3412}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d;--ok:#3fb950;--warn:#f0883e}}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:52rem;margin:0 auto;padding:1rem}
nav{display:flex;gap:.75rem;justify-content:flex-end;font-size:.9rem}
nav span{font-weight:600}
a{color:inherit}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th[scope=row]{width:40%;color:var(--muted);font-weight:500}
.scroll{overflow-x:auto}
.history{font-size:.9rem;min-width:40rem}
code{font-size:.85em;word-break:break-all}
.id{color:var(--muted)}
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
    fn only_web_links_are_linked() {
        assert!(is_web_link("https://a.kz/privacy"));
        assert!(!is_web_link("javascript:alert(1)"));
    }
}
