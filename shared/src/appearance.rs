//! A site's `[appearance]` (W13): the checks `site check` makes of it and the CSS the server
//! renders from it. The CSS only sets the widget's custom properties (`widget/widget.css`) and
//! moves the layers; it travels in the loader's boot data of sites that set an appearance, and
//! the widget appends it to its own style element — a site that keeps the defaults gets not one
//! byte more.
//!
//! Every colour pair a visitor reads must keep a contrast of at least 4.5:1 (WCAG 2.1 AA,
//! SC 1.4.3), the widget's own promise: text on the background, the accent (links, outlined
//! buttons, focus) on the background, and the button text on the accent. A combination below
//! that is refused, naming the pair and its ratio.

use crate::config::{Appearance, Corner, Position};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The widget's defaults (widget/widget.css `:host`).
pub const DEFAULT_BACKGROUND: &str = "#ffffff";
pub const DEFAULT_TEXT: &str = "#1a1a1a";
pub const DEFAULT_ACCENT: &str = "#0b5cad";
pub const DEFAULT_ACCENT_TEXT: &str = "#ffffff";
/// The Withdraw button's red (widget.css `.k-warn`), and the lighter one used on dark
/// backgrounds.
const WARN: &str = "#b3261e";
const WARN_ON_DARK: &str = "#ffb4ab";
/// WCAG 2.1 AA for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
pub const MAX_RADIUS: u32 = 24;
pub const MAX_FONT: usize = 200;
pub const MAX_LOGO: usize = 2048;

/// `#rgb` or `#rrggbb` as red, green, blue.
pub fn parse_colour(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok();
    match hex.len() {
        3 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
        6 => {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
            Some([byte(0)?, byte(2)?, byte(4)?])
        }
        _ => None,
    }
}

/// WCAG 2.1 relative luminance.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The contrast ratio of two colours, 1 to 21.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// The colours in effect: the site's, else the defaults. `None` where a set colour is malformed
/// (reported by [`problems`]).
struct Colours {
    background: [u8; 3],
    text: [u8; 3],
    accent: [u8; 3],
    accent_text: [u8; 3],
}

fn colours(a: &Appearance) -> Option<Colours> {
    let pick = |v: &Option<String>, d: &str| parse_colour(v.as_deref().unwrap_or(d));
    Some(Colours {
        background: pick(&a.background, DEFAULT_BACKGROUND)?,
        text: pick(&a.text, DEFAULT_TEXT)?,
        accent: pick(&a.accent, DEFAULT_ACCENT)?,
        accent_text: pick(&a.accent_text, DEFAULT_ACCENT_TEXT)?,
    })
}

/// One problem: the field (under `appearance`) and what is wrong with it.
pub type Problem = (&'static str, Fault);

/// What is wrong with an appearance field, in no language: [`Fault::en`] says it in English
/// (`site check`), the dashboard in its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A colour that is not #rrggbb or #rgb (the value, at most 40 characters of it).
    Colour(String),
    /// Two colours that do not contrast enough; the ratio rounded down, in tenths.
    Contrast {
        pair: Pair,
        tenths: u32,
    },
    Radius,
    Font,
    /// A logo that is neither an https:// URL nor a path (the value, shortened).
    Logo(String),
}

/// Which two colours of the widget a contrast is between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pair {
    /// The texts on the background.
    Text,
    /// Links and the outlined buttons on the background.
    Accent,
    /// The buttons' text on the accent colour.
    AccentText,
}

impl Fault {
    /// The ratio as `site check` writes it: 1.4.
    pub fn ratio(tenths: u32) -> String {
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    /// What `site check` says.
    pub fn en(&self) -> String {
        match self {
            Fault::Colour(v) => format!("`{v}` is not a colour: write it as #rrggbb or #rgb"),
            Fault::Contrast { pair, tenths } => {
                let what = match pair {
                    Pair::Text => "the texts on the background",
                    Pair::Accent => "links and the outlined buttons on the background",
                    Pair::AccentText => "the buttons' text on the accent colour",
                };
                format!(
                    "leaves {what} unreadable: contrast {}:1, at least {MIN_CONTRAST}:1 is needed (WCAG 2.1 AA)",
                    Fault::ratio(*tenths)
                )
            }
            Fault::Radius => format!("must be between 0 and {MAX_RADIUS} (pixels)"),
            Fault::Font => format!(
                "must be a font-family list of at most {MAX_FONT} characters: names, spaces, commas, quotes and hyphens"
            ),
            Fault::Logo(v) => format!("`{v}` must be an https:// URL or a path on the site (/logo.svg)"),
        }
    }
}

/// What `site check` says of an appearance; empty when it is fine.
pub fn problems(a: &Appearance) -> Vec<Problem> {
    let mut out = Vec::new();
    let fields =
        [("accent", &a.accent), ("accent_text", &a.accent_text), ("background", &a.background), ("text", &a.text)];
    for (k, v) in fields {
        if let Some(v) = v {
            if parse_colour(v).is_none() {
                out.push((k, Fault::Colour(shown(v))));
            }
        }
    }
    if let Some(c) = colours(a) {
        // Each pair is reported on a field the site set (the one named first, if it set both).
        let pairs = [
            (c.text, c.background, ["text", "background"], Pair::Text),
            (c.accent, c.background, ["accent", "background"], Pair::Accent),
            (c.accent_text, c.accent, ["accent_text", "accent"], Pair::AccentText),
        ];
        for (fg, bg, keys, pair) in pairs {
            let ratio = contrast(fg, bg);
            if ratio < MIN_CONTRAST {
                let set = |k: &str| fields.iter().any(|(f, v)| *f == k && v.is_some());
                let key = keys.into_iter().find(|k| set(k)).unwrap_or(keys[0]);
                out.push((key, Fault::Contrast { pair, tenths: floor_tenth(ratio) }));
            }
        }
    }
    if a.radius.is_some_and(|r| r > MAX_RADIUS) {
        out.push(("radius", Fault::Radius));
    }
    if let Some(f) = &a.font {
        let ok = |ch: char| ch.is_alphanumeric() || " ,'\"-_.".contains(ch);
        if f.trim().is_empty() || f.chars().count() > MAX_FONT || !f.chars().all(ok) {
            out.push(("font", Fault::Font));
        }
    }
    if let Some(l) = &a.logo {
        let https = l.strip_prefix("https://").is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        let path = l.starts_with('/') && !l.starts_with("//");
        let clean = !l.chars().any(|ch| ch.is_whitespace() || ch.is_control() || "\"'<>\\()`".contains(ch));
        if l.len() > MAX_LOGO || !(https || path) || !clean {
            out.push(("logo", Fault::Logo(shown(l))));
        }
    }
    out
}

/// In tenths, rounded down, so that a pair shown as 4.5:1 does pass.
fn floor_tenth(x: f64) -> u32 {
    (x * 10.0) as u32
}

fn shown(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The CSS the widget appends to its styles for this appearance, or `None` when there is
/// nothing to change. Only call it for an appearance [`problems`] accepted: values go into the
/// CSS as they are.
pub fn css(a: &Appearance) -> Option<String> {
    let mut vars = String::new();
    let mut var = |name: &str, value: &str| vars.push_str(&format!("--kelisim-{name}:{value};"));
    for (name, v) in [("bg", &a.background), ("fg", &a.text), ("accent", &a.accent), ("accent-fg", &a.accent_text)] {
        if let Some(v) = v {
            var(name, v);
        }
    }
    // The secondary texts follow the site's text colour (the default grey suits only white).
    if a.text.is_some() || a.background.is_some() {
        var("muted", a.text.as_deref().unwrap_or(DEFAULT_TEXT));
    }
    if let Some(r) = a.radius {
        var("radius", &format!("{r}px"));
    }
    if let Some(f) = &a.font {
        var("font", f);
    }
    let mut out = String::new();
    if !vars.is_empty() {
        out.push_str(&format!(":host{{{vars}}}"));
    }
    if let Some(c) = colours(a) {
        let warn = [WARN, WARN_ON_DARK]
            .into_iter()
            .find(|w| parse_colour(w).is_some_and(|w| contrast(w, c.background) >= MIN_CONTRAST));
        match warn {
            Some(WARN) => {}
            Some(w) => out.push_str(&format!(".k-warn{{color:{w};border-color:{w}}}")),
            _ => out.push_str(".k-warn{color:var(--kelisim-fg);border-color:var(--kelisim-fg)}"),
        }
        // The GPC notice's pale green suits a light background only (`:host` outweighs
        // prefs.css, which comes later).
        if contrast(c.text, parse_colour("#eef6ee").unwrap_or([255; 3])) < MIN_CONTRAST {
            out.push_str(":host .k-gpc{background:none}");
        }
    }
    if a.logo.is_some() {
        out.push_str(".k-logo{display:block;max-height:32px;max-width:60%;margin:0 0 8px}");
    }
    // Phones keep the full-width bar at the bottom whatever the position.
    match a.position {
        Some(Position::BottomLeft) => out.push_str("@media (min-width:481px){.k-banner{right:auto;max-width:24rem}}"),
        Some(Position::Center) => out.push_str(
            "@media (min-width:481px){.k-banner{top:50%;bottom:auto;transform:translateY(-50%);box-shadow:0 0 0 100vmax rgba(0,0,0,.4)}}",
        ),
        Some(Position::Bottom) | None => {}
    }
    if a.reopen_corner == Some(Corner::Right) {
        out.push_str(".k-reopen{left:auto;right:14px}");
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Appearance)) -> Appearance {
        let mut a = Appearance::default();
        f(&mut a);
        a
    }

    #[test]
    fn contrast_matches_wcag() {
        let ratio = contrast([0, 0, 0], [255, 255, 255]);
        assert!((ratio - 21.0).abs() < 1e-6, "{ratio}");
        assert!((contrast([0x77; 3], [255; 3]) - 4.48).abs() < 0.01);
        // The defaults pass.
        assert!(problems(&Appearance::default()).is_empty());
        assert_eq!(css(&Appearance::default()), None, "the defaults cost nothing");
    }

    #[test]
    fn an_unreadable_accent_is_refused_naming_the_field() {
        let p = problems(&with(|a| a.accent = Some("#ffd400".into())));
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].0, "accent");
        assert!(p[0].1.en().contains("contrast 1.4:1"), "{p:?}");
        assert_eq!(p[1].0, "accent", "white on yellow buttons: named on the field that was set");
        let dark = with(|a| {
            a.background = Some("#111".into());
            a.text = Some("#f5f5f5".into());
            a.accent = Some("#8ab4f8".into());
            a.accent_text = Some("#111111".into());
        });
        assert!(problems(&dark).is_empty(), "{:?}", problems(&dark));
        let css = css(&dark).unwrap();
        assert!(css.contains("--kelisim-bg:#111;") && css.contains("--kelisim-muted:#f5f5f5;"), "{css}");
        assert!(css.contains(".k-warn{color:#ffb4ab"), "a red that reads on dark: {css}");
        assert!(css.contains(":host .k-gpc{background:none}"), "{css}");
    }

    #[test]
    fn malformed_values_are_refused() {
        for (a, key) in [
            (with(|a| a.accent = Some("blue".into())), "accent"),
            (with(|a| a.radius = Some(40)), "radius"),
            (with(|a| a.font = Some("x;}body{display:none".into())), "font"),
            (with(|a| a.logo = Some("javascript:alert(1)".into())), "logo"),
            (with(|a| a.logo = Some("https://e.kz/a\".png".into())), "logo"),
            (with(|a| a.logo = Some("//evil.example/x.png".into())), "logo"),
        ] {
            let p = problems(&a);
            assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), [key], "{a:?}: {p:?}");
        }
        assert!(problems(&with(|a| a.logo = Some("/img/logo.svg".into()))).is_empty());
        assert!(problems(&with(|a| a.font = Some("\"PT Sans\", system-ui, sans-serif".into()))).is_empty());
    }

    #[test]
    fn positions_move_the_first_layer_on_wide_screens_only() {
        let c = css(&with(|a| a.position = Some(Position::Center))).unwrap();
        assert!(c.starts_with("@media (min-width:481px){.k-banner{top:50%"), "{c}");
        assert_eq!(css(&with(|a| a.position = Some(Position::Bottom))), None);
        let c = css(&with(|a| a.reopen_corner = Some(Corner::Right))).unwrap();
        assert_eq!(c, ".k-reopen{left:auto;right:14px}");
    }
}
