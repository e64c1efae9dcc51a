//! The text layer of an uploaded PDF (`import::document`, lopdf): each page's text-showing
//! operators, decoded through the fonts' encodings and `ToUnicode` maps; a line that wraps
//! within a paragraph (the vertical step between the two lines is the page's usual one) is
//! joined to the one before it, so that a sentence stays one sentence for the importer. A scan
//! has no text layer: [`DocumentError::NoText`]. Text inside form XObjects and annotations is
//! not read.

use super::document::{DocumentError, Kind, INFLATED_LIMIT};
use std::collections::BTreeMap;

/// The text of a PDF: each page's lines, joined where a line only wraps.
pub(super) fn text(bytes: &[u8]) -> Result<String, DocumentError> {
    let corrupt = || DocumentError::Corrupt(Kind::Pdf);
    let options = lopdf::LoadOptions { max_decompressed_size: Some(INFLATED_LIMIT), ..Default::default() };
    let doc = lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => DocumentError::Locked,
        _ => corrupt(),
    })?;
    // Loaded, but still encrypted: it needs a password to open (one only to edit it is fine).
    if doc.is_encrypted() {
        return Err(DocumentError::Locked);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(corrupt());
    }
    let mut out = String::new();
    for page in pages.into_values() {
        let fonts = doc.get_page_fonts(page).map_err(|_| corrupt())?;
        let encodings: BTreeMap<Vec<u8>, lopdf::Encoding> =
            fonts.into_iter().filter_map(|(name, font)| Some((name, font.get_font_encoding(&doc).ok()?))).collect();
        let content = doc.get_page_content_with_limit(page, INFLATED_LIMIT).map_err(|_| corrupt())?;
        let content = lopdf::content::Content::decode(&content).map_err(|_| corrupt())?;
        let lines = page_lines(&content.operations, &encodings);
        if !out.is_empty() && !lines.is_empty() {
            out.push('\n');
        }
        join_lines(&lines, &mut out);
    }
    Ok(out)
}

/// A PDF matrix `[a b c d e f]`.
type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` then `n` (PDF's row-vector convention: a point is transformed by `m`, then by `n`).
fn times(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn number(o: &lopdf::Object) -> Option<f32> {
    match o {
        lopdf::Object::Integer(i) => Some(*i as f32),
        lopdf::Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// A line of text on a page: where it stands (its baseline's height on the page) and the size
/// of its letters, both in the page's units.
#[derive(Debug)]
struct Line {
    y: f32,
    size: f32,
    text: String,
}

/// The lines a page shows, in the order its content shows them.
fn page_lines(ops: &[lopdf::content::Operation], encodings: &BTreeMap<Vec<u8>, lopdf::Encoding>) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let (mut ctm, mut stack) = (IDENTITY, Vec::new());
    let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
    let (mut size, mut leading) = (0.0f32, 0.0f32);
    let mut font: Option<&lopdf::Encoding> = None;
    let nums = |op: &lopdf::content::Operation| op.operands.iter().filter_map(number).collect::<Vec<f32>>();
    for op in ops {
        let mut shown = String::new();
        match op.operator.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(IDENTITY),
            "cm" => {
                if let [a, b, c, d, e, f] = nums(op)[..] {
                    ctm = times(&[a, b, c, d, e, f], &ctm);
                }
            }
            "BT" => (tm, tlm) = (IDENTITY, IDENTITY),
            "Tm" => {
                if let [a, b, c, d, e, f] = nums(op)[..] {
                    (tm, tlm) = ([a, b, c, d, e, f], [a, b, c, d, e, f]);
                }
            }
            "Td" | "TD" => {
                if let [x, y] = nums(op)[..] {
                    if op.operator == "TD" {
                        leading = -y;
                    }
                    tlm = times(&[1.0, 0.0, 0.0, 1.0, x, y], &tlm);
                    tm = tlm;
                }
            }
            "T*" => {
                tlm = times(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                tm = tlm;
            }
            "TL" => leading = nums(op).first().copied().unwrap_or(leading),
            "Tf" => {
                font = op.operands.first().and_then(|n| n.as_name().ok()).and_then(|n| encodings.get(n));
                size = op.operands.get(1).and_then(number).unwrap_or(size);
            }
            "Tj" | "'" | "\"" | "TJ" => {
                if op.operator != "Tj" && op.operator != "TJ" {
                    tlm = times(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                }
                let Some(encoding) = font else { continue };
                let strings: &[lopdf::Object] = match op.operator.as_str() {
                    "TJ" => op.operands.first().and_then(|a| a.as_array().ok()).map_or(&[], Vec::as_slice),
                    "\"" => op.operands.get(2..).unwrap_or_default(),
                    _ => op.operands.get(..1).unwrap_or_default(),
                };
                for s in strings {
                    match s {
                        lopdf::Object::String(bytes, _) => {
                            if let Ok(t) = encoding.bytes_to_string(bytes) {
                                shown.extend(t.chars().filter(|c| *c != '\u{FFFD}' && !c.is_control()));
                            }
                        }
                        // A wide gap in a TJ array is how some writers put a space between words.
                        o if number(o).is_some_and(|n| n < -250.0) && !shown.ends_with(' ') => shown.push(' '),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if shown.is_empty() {
            continue;
        }
        let m = times(&tm, &ctm);
        let (y, scale) = (m[5], (m[2] * m[2] + m[3] * m[3]).sqrt());
        let glyphs = (size * scale).abs().max(1.0);
        match lines.last_mut() {
            Some(l) if (l.y - y).abs() <= 0.4 * l.size.max(glyphs) => l.text.push_str(&shown),
            _ if shown.trim().is_empty() => {}
            _ => lines.push(Line { y, size: glyphs, text: shown }),
        }
    }
    // A page number or a footer's lone number is no clause of the text.
    lines.retain(|l| {
        let t = l.text.trim().trim_matches(|c| c == '-' || c == '–' || c == ' ');
        !(t.is_empty() || (t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit())))
    });
    lines
}

/// Writes a page's lines: a line that continues the paragraph of the one before it (it follows
/// at the page's usual line step, and neither ends a sentence nor starts a clause or a bullet)
/// is joined to it with a space; others start a line of their own.
fn join_lines(lines: &[Line], out: &mut String) {
    // The usual step from one line to the next, relative to the letters' size: the lower quartile
    // of the steps (most steps are within a paragraph).
    let mut steps: Vec<f32> =
        lines.windows(2).map(|w| (w[0].y - w[1].y).abs() / w[0].size.max(w[1].size)).filter(|s| *s > 0.5).collect();
    steps.sort_by(f32::total_cmp);
    let usual = steps.get(steps.len() / 4).copied().unwrap_or(f32::MAX);
    let mut previous: Option<&Line> = None;
    for line in lines {
        let text = line.text.trim();
        if let Some(p) = previous {
            let step = (p.y - line.y).abs() / p.size.max(line.size);
            let ends = p.text.trim_end().ends_with(['.', ';', ':', '!', '?']);
            // Down the page (PDF's y grows upwards), not up to a new column; letters of the same
            // size (not a heading above its text).
            let down = p.y > line.y;
            let same_size = (p.size - line.size).abs() <= 0.1 * p.size.max(line.size);
            if step > 0.5 && step <= usual * 1.2 && down && same_size && !ends && !starts_block(text) {
                // A word broken at the end of the line: «нормативно-|правовыми» keeps its
                // hyphen, a soft hyphen goes.
                if out.ends_with('\u{AD}') {
                    out.pop();
                } else if !out.ends_with('-') {
                    out.push(' ');
                }
            } else {
                out.push('\n');
            }
        }
        out.push_str(text);
        previous = Some(line);
    }
    if previous.is_some() {
        out.push('\n');
    }
}

/// Whether a line starts a clause («2.», «3.1.», «4)») or a bullet, as a new line must.
fn starts_block(text: &str) -> bool {
    if text.starts_with(['-', '•', '–', '—', '*', '·', '▪', '●', '◦']) {
        return true;
    }
    // «3.», «3.1», «3.1.», «4)»: a number alone («2024 года») is no clause.
    let number = &text[..text.chars().take_while(|c| c.is_ascii_digit() || *c == '.').count()];
    number.starts_with(|c: char| c.is_ascii_digit()) && (number.contains('.') || text[number.len()..].starts_with(')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_and_bullet_starts() {
        for s in ["1. Общие", "2.3. Оператор", "4) имя", "3.1 Сайт", "- имя", "• телефон", "12.Сроки"]
        {
            assert!(starts_block(s), "{s}");
        }
        for s in ["Пользователь", "2024 года", "«Ромашка»", "3,5 года"] {
            assert!(!starts_block(s), "{s}");
        }
    }
}
