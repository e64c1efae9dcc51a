//! Server-side SVG charts for the dashboard: no script, nothing from a CDN, and a strict CSP.

use super::html::esc;
use std::collections::BTreeMap;
use std::fmt::Write;

const W: f64 = 720.0;
const H: f64 = 220.0;
const PAD: f64 = 34.0;
pub const ACTION_COLORS: [(&str, &str); 4] =
    [("accept_all", "#2e7d32"), ("reject_all", "#c62828"), ("custom", "#1565c0"), ("withdraw", "#6a1b9a")];
const LINE_COLORS: [&str; 6] = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457"];

/// Stacked bars of decisions per day by action.
pub fn decisions_per_day(rows: &[(String, String, i64)], title: &str) -> String {
    let mut days: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
    for (d, a, n) in rows {
        if let Some(i) = ACTION_COLORS.iter().position(|(x, _)| x == a) {
            days.entry(d.as_str()).or_default()[i] += n;
        }
    }
    let max = days.values().map(|v| v.iter().sum::<i64>()).max().unwrap_or(0).max(1) as f64;
    let mut s = svg_open(title);
    axis(&mut s, max as i64);
    let n = days.len().max(1) as f64;
    let bw = ((W - 2.0 * PAD) / n).min(40.0);
    for (i, (day, counts)) in days.iter().enumerate() {
        let x = PAD + i as f64 * bw;
        let mut y = H - PAD;
        for (k, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let h = (*c as f64 / max) * (H - 2.0 * PAD);
            y -= h;
            let _ = write!(s, r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {c}</title></rect>"#, (bw - 2.0).max(1.0), ACTION_COLORS[k].1, esc(day), ACTION_COLORS[k].0);
        }
        if i == 0 || i + 1 == days.len() {
            let _ = write!(s, r#"<text x="{x:.1}" y="{:.1}" font-size="10">{}</text>"#, H - PAD + 14.0, esc(day));
        }
    }
    s.push_str("</svg>");
    s
}

/// One line per category: the share of decisions that day that granted it.
pub fn acceptance_per_category(rows: &[(String, String, i64, i64)], categories: &[(String, String)], title: &str) -> String {
    let days: Vec<&str> = {
        let mut d: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        d.dedup();
        d
    };
    let mut s = svg_open(title);
    axis(&mut s, 100);
    let n = days.len().max(2) as f64 - 1.0;
    for (ci, (id, label)) in categories.iter().enumerate() {
        let color = LINE_COLORS[ci % LINE_COLORS.len()];
        let mut pts = String::new();
        for (i, d) in days.iter().enumerate() {
            let pct = rows.iter().find(|r| r.0 == *d && r.1 == *id).map(|r| r.2 as f64 * 100.0 / r.3.max(1) as f64).unwrap_or(0.0);
            let x = PAD + i as f64 / n * (W - 2.0 * PAD);
            let y = H - PAD - pct / 100.0 * (H - 2.0 * PAD);
            let _ = write!(pts, "{x:.1},{y:.1} ");
        }
        let _ = write!(s, r#"<polyline class="line" fill="none" stroke="{color}" stroke-width="2" points="{}"><title>{}</title></polyline>"#, pts.trim(), esc(label));
        let _ = write!(s, r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{color}">{}</text>"#, W - PAD - 150.0, PAD + 12.0 * ci as f64, esc(label));
    }
    s.push_str("</svg>");
    s
}

fn svg_open(title: &str) -> String {
    format!(r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#, t = esc(title))
}

fn axis(s: &mut String, max: i64) {
    let _ = write!(s, r##"<line x1="{PAD}" y1="{y}" x2="{x2}" y2="{y}" stroke="#999"/><line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{y}" stroke="#999"/>"##, y = H - PAD, x2 = W - PAD);
    let _ = write!(s, r#"<text x="2" y="{:.1}" font-size="10">{max}</text><text x="2" y="{:.1}" font-size="10">0</text>"#, PAD + 4.0, H - PAD);
}
