//! Server-side SVG charts for the dashboard (maud templates): no script, nothing from a CDN,
//! and a strict CSP.

use maud::{html, Markup};
use std::collections::BTreeMap;

const W: f64 = 720.0;
const H: f64 = 220.0;
const PAD: f64 = 34.0;
pub const ACTION_COLORS: [(&str, &str); 4] =
    [("accept_all", "#2e7d32"), ("reject_all", "#c62828"), ("custom", "#1565c0"), ("withdraw", "#6a1b9a")];
const LINE_COLORS: [&str; 6] = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457"];

/// One decimal, as the charts' coordinates are written.
fn d1(v: f64) -> String {
    format!("{v:.1}")
}

/// Stacked bars of decisions per day by action; `day` and `action` say a `YYYY-MM-DD` day and an
/// action code in the page's language.
pub fn decisions_per_day(
    rows: &[(String, String, i64)],
    title: &str,
    day: &dyn Fn(&str) -> String,
    action: &dyn Fn(&str) -> &'static str,
) -> Markup {
    let mut days: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
    for (d, a, n) in rows {
        if let Some(i) = ACTION_COLORS.iter().position(|(x, _)| x == a) {
            days.entry(d.as_str()).or_default()[i] += n;
        }
    }
    let max = days.values().map(|v| v.iter().sum::<i64>()).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(1) as f64;
    let bw = ((W - 2.0 * PAD) / n).min(40.0);
    chart(
        "per-day",
        title,
        max as i64,
        html! {
            @for (i, (d, counts)) in days.iter().enumerate() {
                @let x = PAD + i as f64 * bw;
                @for (k, c, y, h) in stack(counts, max) {
                    rect class="bar" x=(d1(x)) y=(d1(y)) width=(d1((bw - 2.0).max(1.0))) height=(d1(h)) fill=(ACTION_COLORS[k].1) {
                        title { (day(d)) " · " (action(ACTION_COLORS[k].0)) ": " (c) }
                    }
                }
                @if i == 0 {
                    text x=(d1(x)) y=(d1(H - PAD + 14.0)) font-size="10" { (day(d)) }
                } @else if i + 1 == days.len() {
                    text x=(d1(x + bw - 2.0)) y=(d1(H - PAD + 14.0)) font-size="10" text-anchor="end" { (day(d)) }
                }
            }
        },
    )
}

/// The bars of one day, bottom up: (action, count, top, height).
fn stack(counts: &[i64; 4], max: f64) -> Vec<(usize, i64, f64, f64)> {
    let mut y = H - PAD;
    let mut bars = Vec::new();
    for (k, c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        let h = (*c as f64 / max) * (H - 2.0 * PAD);
        y -= h;
        bars.push((k, *c, y, h));
    }
    bars
}

/// One horizontal bar per category: the share of the period's decisions that granted it, its
/// number, and a mark at the previous period's share. Meaningful from the first decision on.
/// `rows`: (label, granted, decisions, previous share in percent if the previous period had
/// decisions).
pub fn category_bars(rows: &[(String, i64, i64, Option<f64>)], title: &str, pct: &dyn Fn(f64) -> String) -> Markup {
    const ROW: f64 = 30.0;
    const LABEL: f64 = 190.0;
    let h = 14.0 + ROW * rows.len().max(1) as f64;
    let span = W - LABEL - 90.0;
    html! {
        svg class="chart bars" viewBox={ "0 0 " (W) " " (d1(h)) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, (label, n, total, prev)) in rows.iter().enumerate() {
                @let share = if *total > 0 { *n as f64 * 100.0 / *total as f64 } else { 0.0 };
                @let y = 10.0 + ROW * i as f64;
                @let color = LINE_COLORS[i % LINE_COLORS.len()];
                text x="4" y=(d1(y + 15.0)) font-size="12" { (label) }
                rect x=(d1(LABEL)) y=(d1(y)) width=(d1(span)) height="20" fill="#eceff1" {}
                rect class="bar" data-share=(format!("{share:.1}")) x=(d1(LABEL)) y=(d1(y)) width=(d1(span * share / 100.0)) height="20" fill=(color) {
                    title { (label) ": " (pct(share)) " (" (n) " / " (total) ")" }
                }
                @if let Some(p) = prev {
                    line class="previous" x1=(d1(LABEL + span * p / 100.0)) x2=(d1(LABEL + span * p / 100.0)) y1=(d1(y - 3.0)) y2=(d1(y + 23.0)) stroke="#212121" stroke-width="2" {}
                }
                text x=(d1(LABEL + span + 8.0)) y=(d1(y + 15.0)) font-size="12" { (pct(share)) }
            }
        }
    }
}

/// The share of each action among each day's decisions, as lines over the days that had
/// decisions (a day without any has no share: it is left out, not drawn as 0%); a single
/// such day is a dot. `days`: (label, counts per action in `ACTION_COLORS` order) for every
/// day of the period; `actions`: which actions to draw.
pub fn share_trend(
    days: &[(String, [i64; 4])],
    actions: &[usize],
    title: &str,
    action: &dyn Fn(&str) -> &'static str,
) -> Markup {
    let n = days.len().max(2) as f64 - 1.0;
    let with_decisions: Vec<usize> = (0..days.len()).filter(|i| days[*i].1.iter().sum::<i64>() > 0).collect();
    let at = |i: usize, k: usize| {
        let total: i64 = days[i].1.iter().sum();
        let pct = days[i].1[k] as f64 * 100.0 / total.max(1) as f64;
        let x = if days.len() == 1 { W / 2.0 } else { PAD + i as f64 / n * (W - 2.0 * PAD) };
        (x, H - PAD - pct / 100.0 * (H - 2.0 * PAD), pct)
    };
    chart(
        "trend",
        title,
        100,
        html! {
            @for &k in actions {
                @let (name, color) = ACTION_COLORS[k];
                @let points: Vec<String> = with_decisions.iter().map(|&i| { let (x, y, _) = at(i, k); format!("{x:.1},{y:.1}") }).collect();
                polyline class="line" data-action=(name) fill="none" stroke=(color) stroke-width="2" points=(points.join(" ")) { title { (action(name)) } }
                @for &i in &with_decisions {
                    @let (x, y, pct) = at(i, k);
                    circle cx=(d1(x)) cy=(d1(y)) r="3" fill=(color) { title { (days[i].0) " · " (action(name)) ": " (format!("{pct:.1}%")) } }
                }
            }
            @if let (Some(first), Some(last)) = (days.first(), days.last()) {
                text x=(d1(PAD)) y=(d1(H - PAD + 14.0)) font-size="10" { (first.0) }
                @if days.len() > 1 { text x=(d1(W - PAD)) y=(d1(H - PAD + 14.0)) font-size="10" text-anchor="end" { (last.0) } }
            }
        },
    )
}

/// The SVG element, its title, the axes with their scale, and `marks`.
fn chart(kind: &str, title: &str, max: i64, marks: Markup) -> Markup {
    html! {
        svg class={ "chart " (kind) } viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) stroke="#999" {}
            line x1=(PAD) y1=(PAD) x2=(PAD) y2=(H - PAD) stroke="#999" {}
            text x="2" y=(d1(PAD + 4.0)) font-size="10" { (max) }
            text x="2" y=(d1(H - PAD)) font-size="10" { "0" }
            (marks)
        }
    }
}

/// The legend's colour key of an action.
pub fn key(color: &str) -> Markup {
    html! {
        svg width="10" height="10" aria-hidden="true" { rect width="10" height="10" fill=(color) {} }
    }
}
