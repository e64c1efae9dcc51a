//! A site's overview: its decisions over a period of the site's own days (7, 30, 90 days or
//! any two dates), beside the period before; acceptance per category as bars, the share of
//! each kind of decision per day, decisions per day, by language and by text version; and
//! the same numbers as CSV. Read from the counts the log writer keeps (`log_counts`), so the
//! page costs the same at ten records and at ten million.

use super::charts;
use super::error::blocking;
use super::html::{grid, page, q, Ctx};
use super::http::{actor, ctx, html, site_config, Answer};
use super::i18n::{self, action_label, overview_words, ACTIONS};
use super::queries::HourCounts;
use super::Admin;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use maud::{html, Markup};
use std::collections::BTreeMap;

/// The periods offered as links; 30 days is the default.
const PRESETS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// The longest custom period: two years of days.
const MAX_DAYS: i64 = 731;

/// `?days=7|30|90`, or `?from=YYYY-MM-DD&to=YYYY-MM-DD` (the site's days, both included).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RangeQuery {
    pub days: Option<i64>,
    pub from: String,
    pub to: String,
}

/// A period of whole days in the site's zone, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from: Date,
    pub to: Date,
    /// The preset it is (for the links), if any.
    pub preset: Option<i64>,
}

impl Range {
    /// The period asked for, ending `today` for a preset; `Err` with the default period when
    /// the query cannot be read (the page says so).
    pub fn asked(q: &RangeQuery, today: Date) -> Result<Range, Range> {
        let last = |n: i64| Range { from: back(today, n - 1), to: today, preset: Some(n) };
        if !q.from.is_empty() || !q.to.is_empty() {
            let (Ok(from), Ok(to)) = (q.from.trim().parse::<Date>(), q.to.trim().parse::<Date>()) else {
                return Err(last(DEFAULT_DAYS));
            };
            let r = Range { from, to, preset: None };
            return if from <= to && r.days() <= MAX_DAYS { Ok(r) } else { Err(last(DEFAULT_DAYS)) };
        }
        match q.days {
            None => Ok(last(DEFAULT_DAYS)),
            Some(n) if PRESETS.contains(&n) => Ok(last(n)),
            Some(_) => Err(last(DEFAULT_DAYS)),
        }
    }

    pub fn days(&self) -> i64 {
        let mut n = 1;
        let mut d = self.from;
        while d < self.to {
            d = d.tomorrow().unwrap_or(self.to);
            n += 1;
        }
        n
    }

    /// The period of the same length just before.
    pub fn previous(&self) -> Range {
        let to = self.from.yesterday().unwrap_or(self.from);
        Range { from: back(to, self.days() - 1), to, preset: None }
    }

    /// Its days, in order.
    fn each_day(&self) -> Vec<Date> {
        let mut out = vec![self.from];
        while let Some(d) = out.last().and_then(|d| d.tomorrow().ok()).filter(|d| *d <= self.to) {
            out.push(d);
        }
        out
    }

    fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }

    /// The UTC hours `from..to` (`YYYY-MM-DDTHH`, `to` excluded) that hold its days.
    fn hours(&self, tz: &TimeZone) -> (String, String) {
        let start = |d: Date| {
            d.to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp().strftime("%Y-%m-%dT%H").to_string())
                .unwrap_or_default()
        };
        (start(self.from), start(self.to.tomorrow().unwrap_or(self.to)))
    }

    /// The query that asks for it again.
    fn query(&self) -> String {
        match self.preset {
            Some(n) => format!("days={n}"),
            None => format!("from={}&to={}", self.from, self.to),
        }
    }
}

fn back(d: Date, n: i64) -> Date {
    let mut d = d;
    for _ in 0..n {
        d = d.yesterday().unwrap_or(d);
    }
    d
}

/// Decisions counted along each dimension.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub total: i64,
    pub action: BTreeMap<String, i64>,
    pub category: BTreeMap<String, i64>,
    pub language: BTreeMap<String, i64>,
    pub version: BTreeMap<String, i64>,
}

impl Tally {
    fn add(&mut self, dim: &str, key: &str, n: i64) {
        let map = match dim {
            "all" => {
                self.total += n;
                return;
            }
            "action" => &mut self.action,
            "category" => &mut self.category,
            "language" => &mut self.language,
            "version" => &mut self.version,
            _ => return,
        };
        *map.entry(key.to_owned()).or_default() += n;
    }

    fn of(map: &BTreeMap<String, i64>, key: &str) -> i64 {
        map.get(key).copied().unwrap_or(0)
    }

    fn actions(&self) -> [i64; 4] {
        ACTIONS.map(|a| Self::of(&self.action, a))
    }

    /// `n` of this tally's decisions in percent, if it has any.
    fn share(&self, n: i64) -> Option<f64> {
        (self.total > 0).then(|| n as f64 * 100.0 / self.total as f64)
    }
}

/// A period's numbers, the period before's, and the period's days.
pub struct Overview {
    pub range: Range,
    pub bad_range: bool,
    pub current: Tally,
    pub previous: Tally,
    pub days: BTreeMap<Date, Tally>,
    /// The site's text versions in publish order: (version, first served).
    pub versions: Vec<(String, String)>,
}

impl Overview {
    /// Folds the hours of both periods into the site's days.
    pub fn fold(
        range: Range,
        bad_range: bool,
        tz: &TimeZone,
        rows: &HourCounts,
        versions: Vec<(String, String)>,
    ) -> Self {
        let previous_range = range.previous();
        let mut o = Overview {
            range,
            bad_range,
            current: Tally::default(),
            previous: Tally::default(),
            days: range.each_day().into_iter().map(|d| (d, Tally::default())).collect(),
            versions,
        };
        let mut day_of: BTreeMap<&str, Option<Date>> = BTreeMap::new();
        for (hour, dim, key, n) in rows {
            let day = *day_of.entry(hour).or_insert_with(|| {
                format!("{hour}:00:00Z").parse::<jiff::Timestamp>().ok().map(|t| t.to_zoned_datetime(tz.clone()).date())
            });
            let Some(day) = day else { continue };
            if range.contains(day) {
                o.current.add(dim, key, *n);
                if let Some(t) = o.days.get_mut(&day) {
                    t.add(dim, key, *n);
                }
            } else if previous_range.contains(day) {
                o.previous.add(dim, key, *n);
            }
        }
        o
    }

    /// A version's short name: `v3 · 12 ноября 2026` (its place in publish order, the day it
    /// was first served), or the start of its hash for one the site never recorded.
    pub fn version_name(&self, l: Lang, tz: &TimeZone, v: &str) -> String {
        match self.versions.iter().position(|(x, _)| x == v) {
            Some(i) => super::versions_page::short_name_in(l, tz, i + 1, &self.versions[i].1),
            None => v.chars().take(12).collect(),
        }
    }
}

/// `+12%`, `−3,5 п. п.`: a signed change, or nothing when there is nothing to compare with.
fn change(l: Lang, now: f64, before: Option<f64>, unit: &str) -> Option<String> {
    let b = before?;
    let d = now - b;
    let sign = if d > 0.05 {
        "+"
    } else if d < -0.05 {
        "−"
    } else {
        "±"
    };
    Some(format!("{sign}{} {unit}", number(l, d.abs())))
}

/// One decimal, with the language's decimal separator.
fn number(l: Lang, x: f64) -> String {
    let s = format!("{x:.1}");
    if l == Lang::En {
        s
    } else {
        s.replace('.', ",")
    }
}

fn pct(l: Lang, x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |x| format!("{}%", number(l, x)))
}

fn title(cfg: &Config, id: &str, lang: Lang) -> String {
    cfg.category(id).and_then(|k| k.title.get_or(lang, &cfg.languages)).cloned().unwrap_or_else(|| id.to_owned())
}

fn language_name(code: &str) -> &str {
    match code {
        "kk" => "Қазақша",
        "ru" => "Русский",
        "en" => "English",
        other => other,
    }
}

/// The period's links and the form for two dates.
fn period(c: &Ctx, cfg: &Config, o: &Overview) -> Markup {
    let w = overview_words(c.lang);
    let base = format!("/admin/sites/{}/", q(&cfg.site));
    html! {
        nav.period aria-label=(w.period) {
            (w.period) ": "
            @for n in PRESETS {
                @let here = o.range.preset == Some(n);
                a href={ (base) "?days=" (n) } aria-current=[here.then_some("page")] data-days=(n) {
                    (w.last) " " (i18n::count::count(c.lang, n, &i18n::count::DAY))
                }
                " · "
            }
            form.range method="get" action=(base) {
                (w.custom) ": "
                label { (w.from) " " input type="date" name="from" value=(o.range.from) required; }
                " "
                label { (w.to) " " input type="date" name="to" value=(o.range.to) required; }
                " "
                button type="submit" { (w.show) }
            }
        }
        @if o.bad_range { p.error role="alert" data-bad-range { (w.bad_range) } }
        p.range {
            b data-range-from=(o.range.from) data-range-to=(o.range.to) {
                (i18n::when::date(c.lang, o.range.from)) " — " (i18n::when::date(c.lang, o.range.to))
            }
            " (" (c.tz.iana_name().unwrap_or("UTC")) ") · "
            a href={ (base) "overview.csv?" (o.range.query()) } download data-csv { (w.csv) }
        }
    }
}

pub fn render(c: &Ctx, cfg: &Config, o: &Overview) -> String {
    let t = c.t;
    let w = overview_words(c.lang);
    let (cur, prev) = (&o.current, &o.previous);
    let prev_range = o.range.previous();
    let cats: Vec<(String, i64, i64, Option<f64>)> = cfg
        .categories
        .iter()
        .filter(|k| !k.required)
        .map(|k| {
            let n = Tally::of(&cur.category, &k.id);
            (title(cfg, &k.id, c.lang), n, cur.total, prev.share(Tally::of(&prev.category, &k.id)))
        })
        .collect();
    let days: Vec<(String, [i64; 4])> =
        o.days.iter().map(|(d, t)| (i18n::when::date(c.lang, *d), t.actions())).collect();
    // Every day of the period, those without decisions too (the axis is the period).
    let per_day: Vec<(String, String, i64)> = o
        .days
        .iter()
        .flat_map(|(d, t)| ACTIONS.iter().map(move |a| (d.to_string(), (*a).to_owned(), Tally::of(&t.action, a))))
        .collect();
    let share_row = |n: i64, before: i64, prev_tally: &Tally| -> Vec<Markup> {
        vec![
            html! { (n) },
            html! { (pct(c.lang, cur.share(n))) },
            html! { (before) " (" (pct(c.lang, prev_tally.share(before))) ")" },
        ]
    };
    let languages: Vec<Vec<Markup>> = cur
        .language
        .iter()
        .chain(prev.language.iter().filter(|(l, _)| !cur.language.contains_key(*l)).map(|(l, _)| (l, &0)))
        .map(|(l, n)| {
            let mut row = vec![html! { span lang=(l) { (language_name(l)) } }];
            row.extend(share_row(*n, Tally::of(&prev.language, l), prev));
            row
        })
        .collect();
    let mut version_keys: Vec<&String> = cur.version.keys().chain(prev.version.keys()).collect();
    version_keys.sort_by_key(|v| std::cmp::Reverse(o.versions.iter().position(|(x, _)| x == *v)));
    version_keys.dedup();
    let versions: Vec<Vec<Markup>> = version_keys
        .iter()
        .map(|v| {
            let mut row = vec![html! {
                a href={ "/admin/sites/" (q(&cfg.site)) "/configs/" (q(v)) } title=(v) data-version=(v) { (o.version_name(c.lang, &c.tz, v)) }
            }];
            row.extend(share_row(Tally::of(&cur.version, v), Tally::of(&prev.version, v), prev));
            row
        })
        .collect();
    let prev_head = format!(
        "{} ({} — {})",
        w.previous,
        i18n::when::date(c.lang, prev_range.from),
        i18n::when::date(c.lang, prev_range.to)
    );
    let total_change = (prev.total > 0).then(|| (cur.total - prev.total) as f64 * 100.0 / prev.total as f64);
    let body = html! {
        (period(c, cfg, o))
        p.total {
            b data-stat="total" { (cur.total) } " " (i18n::count::form(c.lang, cur.total.try_into().unwrap_or(0), &i18n::count::DECISION))
            " · " (prev_head) ": " span data-stat="previous" { (prev.total) }
            @if let Some(ch) = total_change { " (" span data-stat="change" { (change(c.lang, ch, Some(0.0), "%").unwrap_or_default()) } " " (w.vs_previous) ")" }
        }
        div.cards {
            @for (i, a) in ACTIONS.iter().enumerate() {
                @let n = cur.actions()[i];
                @let share = cur.share(n);
                div.card data-action=(a) {
                    span { (action_label(t, a)) }
                    b { (n) }
                    small { (pct(c.lang, share)) }
                    @if let Some(ch) = change(c.lang, share.unwrap_or(0.0), prev.share(prev.actions()[i]).filter(|_| share.is_some()), w.pp) {
                        small.change data-change=(a) { (ch) " " (w.vs_previous) }
                    }
                }
            }
        }
        @if cur.total == 0 { p.empty { (w.no_decisions) } }
        h2 { (t.per_category) }
        (charts::category_bars(&cats, t.per_category, &|x| pct(c.lang, Some(x))))
        p.hint { (w.per_category_note) }
        h2 { (w.trend) }
        (charts::share_trend(&days, &[0, 1, 2], w.trend, &|a| action_label(t, a)))
        p.hint { (w.trend_note) }
        h2 { (t.per_day) }
        (charts::decisions_per_day(&per_day, t.per_day, &|d| i18n::when::day(c.lang, d), &|a| action_label(t, a)))
        p.legend {
            @for (a, color) in charts::ACTION_COLORS {
                span.key { (charts::key(color)) " " (action_label(t, a)) }
                " "
            }
        }
        h2 { (t.by_language) }
        (grid("languages", &[t.language, t.events, t.share, &prev_head], &languages, t.nothing))
        h2 { (t.by_version) }
        (grid("versions", &[t.version, t.events, t.share, &prev_head], &versions, t.nothing))
    };
    page(c, &format!("{} — {}", cfg.name, t.overview), body)
}

/// The period's numbers per day as CSV, for the owner's own reports: a row per day of the
/// site's zone, decisions, each action, each optional category granted, each language, each
/// text version (by short name); the header names the zone.
pub fn csv(cfg: &Config, tz: &TimeZone, o: &Overview) -> Result<Vec<u8>, csv::Error> {
    let cats: Vec<&str> = cfg.categories.iter().filter(|k| !k.required).map(|k| k.id.as_str()).collect();
    let langs: Vec<&str> = cfg.languages.iter().map(|l| l.code()).collect();
    let versions: Vec<&String> =
        o.versions.iter().map(|(v, _)| v).filter(|v| o.current.version.contains_key(*v)).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec![format!("day ({})", tz.iana_name().unwrap_or("UTC")), "decisions".to_owned()];
    head.extend(ACTIONS.iter().map(|a| (*a).to_owned()));
    head.extend(cats.iter().map(|k| format!("granted {k}")));
    head.extend(langs.iter().map(|l| format!("language {l}")));
    head.extend(versions.iter().map(|v| format!("version {}", o.version_name(Lang::En, tz, v))));
    w.write_record(&head)?;
    for (d, t) in &o.days {
        let mut row = vec![d.to_string(), t.total.to_string()];
        row.extend(t.actions().iter().map(i64::to_string));
        row.extend(cats.iter().map(|k| Tally::of(&t.category, k).to_string()));
        row.extend(langs.iter().map(|l| Tally::of(&t.language, l).to_string()));
        row.extend(versions.iter().map(|v| Tally::of(&t.version, v).to_string()));
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Reads both periods' counts and the site's versions.
async fn load(
    req: &HttpRequest,
    admin: &web::Data<Admin>,
    site: &str,
    q: &RangeQuery,
) -> Result<(Overview, TimeZone), super::error::AdminError> {
    let tz = ctx(req, None, Some(site)).tz;
    let today = jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date();
    let (range, bad) = match Range::asked(q, today) {
        Ok(r) => (r, false),
        Err(r) => (r, true),
    };
    let (from, _) = range.previous().hours(&tz);
    let (_, to) = range.hours(&tz);
    let (dash, s, tz2) = (admin.dash.clone(), site.to_owned(), tz.clone());
    let o = blocking(move || {
        let rows = dash.counts(&s, &from, &to)?;
        let mut versions: Vec<(String, String)> = dash.version_dates(&s)?;
        versions.sort_by(|a, b| a.1.cmp(&b.1));
        Ok::<_, crate::store::StoreError>(Overview::fold(range, bad, &tz2, &rows, versions))
    })
    .await?;
    Ok((o, tz))
}

pub async fn page_handler(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Answer {
    let who = actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let (o, _) = load(&req, &admin, &site, &q).await?;
    Ok(html(StatusCode::OK, render(&ctx(&req, Some(&who), Some(&site)), &served.config, &o)))
}

pub async fn csv_handler(
    req: HttpRequest,
    admin: web::Data<Admin>,
    path: web::Path<String>,
    q: web::Query<RangeQuery>,
) -> Answer {
    actor(&req, &admin).await?;
    let site = path.into_inner();
    let served = site_config(&admin, &site)?;
    let (o, tz) = load(&req, &admin, &site, &q).await?;
    let body = csv(&served.config, &tz, &o).map_err(|e| super::error::AdminError::Internal(e.into()))?;
    let name = format!("{}-{}-{}.csv", served.config.site, o.range.from, o.range.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_whole_days_of_the_site_and_the_previous_one_is_as_long() {
        let today = d("2026-12-04");
        let r = Range::asked(&RangeQuery::default(), today).unwrap();
        assert_eq!((r.from, r.to, r.days()), (d("2026-11-05"), today, 30));
        assert_eq!((r.previous().from, r.previous().to), (d("2026-10-06"), d("2026-11-04")));
        let q = RangeQuery { from: "2026-12-01".into(), to: "2026-12-03".into(), days: None };
        let r = Range::asked(&q, today).unwrap();
        assert_eq!((r.days(), r.previous().from, r.previous().to), (3, d("2026-11-28"), d("2026-11-30")));
        let almaty = TimeZone::get("Asia/Almaty").unwrap();
        // 00:00 in Almaty (UTC+5) is 19:00 UTC the day before.
        assert_eq!(r.hours(&almaty), ("2026-11-30T19".to_owned(), "2026-12-03T19".to_owned()));
        for bad in [("2026-12-03", "2026-12-01"), ("2026-12-01", ""), ("2020-01-01", "2026-12-01"), ("x", "y")] {
            let q = RangeQuery { from: bad.0.into(), to: bad.1.into(), days: None };
            assert_eq!(Range::asked(&q, today), Err(Range::asked(&RangeQuery::default(), today).unwrap()), "{bad:?}");
        }
        assert!(Range::asked(&RangeQuery { days: Some(8), ..Default::default() }, today).is_err());
    }

    #[test]
    fn hours_fold_into_the_sites_days() {
        let almaty = TimeZone::get("Asia/Almaty").unwrap();
        let r = Range { from: d("2026-12-03"), to: d("2026-12-04"), preset: None };
        let row = |h: &str, dim: &str, key: &str, n: i64| (h.to_owned(), dim.to_owned(), key.to_owned(), n);
        let rows = vec![
            // 18:00 UTC on 2 Dec is 23:00 on 2 Dec in Almaty: the previous period.
            row("2026-12-02T18", "all", "", 5),
            // 19:00 UTC on 2 Dec is midnight of 3 Dec in Almaty.
            row("2026-12-02T19", "all", "", 2),
            row("2026-12-02T19", "action", "accept_all", 2),
            row("2026-12-04T10", "all", "", 1),
            row("2026-12-04T10", "category", "analytics", 1),
        ];
        let o = Overview::fold(r, false, &almaty, &rows, vec![]);
        assert_eq!((o.current.total, o.previous.total), (3, 5));
        assert_eq!(o.days[&d("2026-12-03")].total, 2);
        assert_eq!(o.days[&d("2026-12-04")].category["analytics"], 1);
        assert_eq!(o.current.share(1).map(|x| x.round()), Some(33.0));
    }
}
