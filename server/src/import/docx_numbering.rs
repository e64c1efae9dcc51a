//! Word's automatic numbering, written out as text: `word/numbering.xml` (the lists and their
//! levels), the paragraph styles that number their paragraphs (`word/styles.xml`), and the
//! counters that turn a paragraph's list and level into its label («1.1.», «а)», «•») as Word
//! shows it. `import::document` reads the paragraphs and asks [`Counters::next`] for each label;
//! the importer cites clauses by these numbers.

use std::collections::{BTreeMap, HashMap};

use super::document::attr;

/// A paragraph's list: `w:numId`, `w:ilvl`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NumPr {
    pub(super) num: Option<u32>,
    pub(super) level: Option<usize>,
}

/// One level of a list: where it starts, how its number is written, and its text («%1.%2.»).
#[derive(Clone, Debug, Default)]
struct Level {
    start: u32,
    format: String,
    text: String,
}

/// `word/numbering.xml`: each list (`w:num`) and the levels of the abstract list it uses.
#[derive(Debug, Default)]
pub(super) struct Numbering {
    abstracts: HashMap<u32, BTreeMap<usize, Level>>,
    /// `w:numId` → its abstract list and the levels it starts afresh (`w:startOverride`).
    nums: HashMap<u32, (u32, BTreeMap<usize, u32>)>,
}

impl Numbering {
    pub(super) fn read(xml: &str) -> Result<Numbering, quick_xml::Error> {
        use quick_xml::events::Event;
        let mut n = Numbering::default();
        let mut reader = quick_xml::Reader::from_str(xml);
        let (mut abstract_id, mut num_id, mut level): (Option<u32>, Option<u32>, Option<usize>) = (None, None, None);
        loop {
            match reader.read_event()? {
                Event::Start(e) | Event::Empty(e) => {
                    let val = || attr(&e, "w:val");
                    match e.local_name().as_ref() {
                        "abstractNum" => abstract_id = attr(&e, "w:abstractNumId").and_then(|v| v.parse().ok()),
                        "num" => num_id = attr(&e, "w:numId").and_then(|v| v.parse().ok()),
                        "lvl" | "lvlOverride" => level = attr(&e, "w:ilvl").and_then(|v| v.parse().ok()),
                        "abstractNumId" => {
                            if let (Some(num), Some(a)) = (num_id, val().and_then(|v| v.parse().ok())) {
                                n.nums.entry(num).or_default().0 = a;
                            }
                        }
                        "startOverride" => {
                            if let (Some(num), Some(l), Some(s)) = (num_id, level, val().and_then(|v| v.parse().ok())) {
                                n.nums.entry(num).or_default().1.insert(l, s);
                            }
                        }
                        name @ ("start" | "numFmt" | "lvlText") if num_id.is_none() => {
                            if let (Some(a), Some(l)) = (abstract_id, level) {
                                let lvl = n
                                    .abstracts
                                    .entry(a)
                                    .or_default()
                                    .entry(l)
                                    .or_insert(Level { start: 1, ..Level::default() });
                                let v = val().unwrap_or_default();
                                match name {
                                    "start" => lvl.start = v.parse().unwrap_or(1),
                                    "numFmt" => lvl.format = v,
                                    _ => lvl.text = v,
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "abstractNum" => abstract_id = None,
                    "num" => num_id = None,
                    "lvl" | "lvlOverride" => level = None,
                    _ => {}
                },
                Event::Eof => return Ok(n),
                _ => {}
            }
        }
    }
}

/// The paragraph styles that number their paragraphs (a numbered "Heading 1"): style id → list.
pub(super) fn style_numbers(xml: &str) -> Result<HashMap<String, NumPr>, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut styles = HashMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut style: Option<String> = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "style" => style = attr(&e, "w:styleId"),
                "numId" | "ilvl" => {
                    if let Some(s) = &style {
                        let n: &mut NumPr = styles.entry(s.clone()).or_default();
                        let v = attr(&e, "w:val").and_then(|v| v.parse().ok());
                        match e.local_name().as_ref() {
                            "numId" => n.num = v,
                            _ => n.level = v.map(|v: u32| v as usize),
                        }
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => style = None,
            Event::Eof => return Ok(styles),
            _ => {}
        }
    }
}

/// A number written as a list level's `w:numFmt` says.
fn format_number(n: u32, format: &str) -> String {
    const RU: [char; 28] = [
        'а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'и', 'к', 'л', 'м', 'н', 'о', 'п', 'р', 'с', 'т', 'у', 'ф', 'х', 'ц',
        'ч', 'ш', 'щ', 'э', 'ю', 'я',
    ];
    let letters = |alphabet: &[char]| {
        let len = alphabet.len() as u32;
        let i = (n.max(1) - 1) % len;
        let repeat = (n.max(1) - 1) / len + 1;
        alphabet[i as usize].to_string().repeat(repeat as usize)
    };
    let latin: Vec<char> = ('a'..='z').collect();
    match format {
        "lowerLetter" => letters(&latin),
        "upperLetter" => letters(&latin).to_uppercase(),
        "russianLower" => letters(&RU),
        "russianUpper" => letters(&RU).to_uppercase(),
        "lowerRoman" => roman(n).to_lowercase(),
        "upperRoman" => roman(n),
        "none" | "bullet" => String::new(),
        _ => n.to_string(),
    }
}

fn roman(mut n: u32) -> String {
    const DIGITS: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in DIGITS {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// The counters of the lists met so far, per abstract list and level.
#[derive(Default)]
pub(super) struct Counters {
    counts: HashMap<u32, [Option<u32>; 9]>,
    started: std::collections::HashSet<u32>,
}

impl Counters {
    /// The label of the next paragraph of list `num` at `level` («2.3.», «б)», «•»).
    pub(super) fn next(&mut self, numbering: &Numbering, num: u32, level: usize) -> Option<String> {
        let (abstract_id, overrides) = numbering.nums.get(&num)?;
        let levels = numbering.abstracts.get(abstract_id)?;
        let level = level.min(8);
        let counts = self.counts.entry(*abstract_id).or_default();
        // A list that restarts its numbering (`w:startOverride`) does so where it is first used.
        if self.started.insert(num) {
            for (l, start) in overrides {
                if let Some(c) = counts.get_mut(*l) {
                    *c = Some(start.saturating_sub(1));
                }
            }
        }
        let start = |l: usize| levels.get(&l).map_or(1, |v| v.start);
        counts[level] = Some(counts[level].map_or(start(level), |c| c + 1));
        for deeper in counts.iter_mut().skip(level + 1) {
            *deeper = None;
        }
        let lvl = levels.get(&level)?;
        if lvl.format == "bullet" {
            return Some("•".into());
        }
        let mut label = String::new();
        let mut chars = lvl.text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek().and_then(|d| d.to_digit(10))) {
                ('%', Some(d @ 1..=9)) => {
                    chars.next();
                    let l = d as usize - 1;
                    let n = counts[l].unwrap_or_else(|| start(l));
                    label.push_str(&format_number(n, levels.get(&l).map_or("decimal", |v| v.format.as_str())));
                }
                // Symbol-font bullets live in the private use area.
                ('\u{F000}'..='\u{F0FF}', _) => label.push('•'),
                _ => label.push(c),
            }
        }
        Some(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_the_level_s_format() {
        assert_eq!(format_number(3, "decimal"), "3");
        assert_eq!(format_number(3, "russianLower"), "в");
        // Word repeats the letter after the alphabet's end: 29 is «аа» in Russian, 27 «AA».
        assert_eq!(format_number(29, "russianLower"), "аа");
        assert_eq!(format_number(27, "upperLetter"), "AA");
        assert_eq!(format_number(1994, "upperRoman"), "MCMXCIV");
        assert_eq!(format_number(4, "lowerRoman"), "iv");
        assert_eq!(format_number(7, "bullet"), "");
    }
}
