//! Server-side SVG charts for the dashboard (maud templates): no script, nothing from a CDN,
//! and a strict CSP.

use maud::{html, Markup};
use std::collections::BTreeMap;
use std::fmt::Write;

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
                @if i == 0 || i + 1 == days.len() {
                    text x=(d1(x)) y=(d1(H - PAD + 14.0)) font-size="10" { (day(d)) }
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

/// One line per category: the share of decisions that day that granted it.
pub fn acceptance_per_category(
    rows: &[(String, String, i64, i64)],
    categories: &[(String, String)],
    title: &str,
) -> Markup {
    let days: Vec<&str> = {
        let mut d: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        d.dedup();
        d
    };
    let n = days.len().max(2) as f64 - 1.0;
    let points = |id: &str| {
        let mut pts = String::new();
        for (i, d) in days.iter().enumerate() {
            let pct = rows
                .iter()
                .find(|r| r.0 == *d && r.1 == id)
                .map(|r| r.2 as f64 * 100.0 / r.3.max(1) as f64)
                .unwrap_or(0.0);
            let x = PAD + i as f64 / n * (W - 2.0 * PAD);
            let y = H - PAD - pct / 100.0 * (H - 2.0 * PAD);
            let _ = write!(pts, "{x:.1},{y:.1} ");
        }
        pts.trim_end().to_owned()
    };
    chart(
        title,
        100,
        html! {
            @for (ci, (id, label)) in categories.iter().enumerate() {
                @let color = LINE_COLORS[ci % LINE_COLORS.len()];
                polyline class="line" fill="none" stroke=(color) stroke-width="2" points=(points(id)) { title { (label) } }
                text x=(d1(W - PAD - 150.0)) y=(d1(PAD + 12.0 * ci as f64)) font-size="11" fill=(color) { (label) }
            }
        },
    )
}

/// The SVG element, its title, the axes with their scale, and `marks`.
fn chart(title: &str, max: i64, marks: Markup) -> Markup {
    html! {
        svg class="chart" viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
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
