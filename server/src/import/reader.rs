//! Reads a plain-text privacy policy into blocks (a clause, a bullet, a paragraph) and
//! sentences, each knowing where it stands: «п. 3.3.1», a section, the preamble or the title.
//!
//! Real policies are messy (see the five in `tests/fixtures/policies/`): markdown left over
//! from a CMS (`**bold**`, `<https://…>`), bullets written `-`, `- *` or `•`, numbers with and
//! without a final dot (`1.1 `, `3.3.1.`, `4.4.1 `), sub-clauses numbered as siblings, clauses
//! that jump from 5 to 9, and sentences broken across lines or even blank lines. The reader
//! takes all of it in one pass over the lines: the time it takes grows linearly with the text.

use super::ImportError;
use kelisim_shared::lang::Lang;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use unicode_segmentation::UnicodeSegmentation;

/// Where a sentence stands in the policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The title lines before the text begins.
    Title,
    /// Unnumbered text before the first numbered clause.
    Preamble,
    /// A numbered clause, e.g. "3.3.1".
    Clause(String),
    /// Unnumbered text under a numbered heading, e.g. "5" for «5. Доступ к …».
    Section(String),
}

impl Place {
    /// The clause or section number, if it has one.
    pub fn number(&self) -> Option<&str> {
        match self {
            Place::Clause(n) | Place::Section(n) => Some(n),
            Place::Title | Place::Preamble => None,
        }
    }

    /// How a person cites it, in the language of the policy: «п. 3.3.1», «3.3.1-тармақ».
    pub fn cite(&self, lang: Lang) -> String {
        match (self, lang) {
            (Place::Title, Lang::Kk) => "тақырып".into(),
            (Place::Preamble, Lang::Kk) => "кіріспе".into(),
            (Place::Clause(n), Lang::Kk) => format!("{n}-тармақ"),
            (Place::Section(n), Lang::Kk) => format!("{n}-бөлім"),
            (Place::Title, _) => "заголовок".into(),
            (Place::Preamble, _) => "преамбула".into(),
            (Place::Clause(n), _) => format!("п. {n}"),
            (Place::Section(n), _) => format!("разд. {n}"),
        }
    }
}

/// One clause, bullet or paragraph, its broken lines joined.
pub struct Block {
    pub place: Place,
    /// 1-based line of the input where the block starts.
    pub line: usize,
    pub text: String,
    pub heading: bool,
    /// The block whose text ends with ':' and introduces the list this block is an item of
    /// («… передавать … следующим лицам:» for «4.4.1 государственным … органам»).
    pub lead: Option<usize>,
}

pub struct Sentence {
    pub block: usize,
    pub start: usize,
    pub end: usize,
    /// «Cookies» — …: a term being defined, not a statement about the site.
    pub definition: bool,
}

pub struct Policy {
    pub lang: Lang,
    pub blocks: Vec<Block>,
    pub sentences: Vec<Sentence>,
}

static MARKUP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\*\*|__|`|<(https?://[^>\s]+)>").unwrap());
static SPACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\s\u{a0}\u{200b}]+").unwrap());
static MD_HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#{1,6}\s+").unwrap());
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[-*•·–—▪●○]\s+)+|^(?:\d{1,2}|[а-яa-z])\)\s+").unwrap());
static MULTI_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2}(?:\.\d{1,3}){1,4})\.?\s+(\S.*)$").unwrap());
static SINGLE_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,2})\.\s+(\S.*)$").unwrap());
static KK_SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})-(?:тарау|бөлім|бап)\.?\s*(.*)$").unwrap());
/// A fragment ending in an abbreviation (г., ул., т.д., an initial) does not end a sentence.
static ABBREVIATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s(«\x22])(?:г|гг|ул|пр|просп|д|кв|оф|п|пп|ст|стр|рис|см|им|обл|тел|др|тыс|млн|руб|тг|қ|көш|ж|т\.\s?[депк]|\p{Lu})\.\s*$").unwrap()
});
/// «2022 г.» ends a sentence even though «г.» is an abbreviation.
static YEAR_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d\s*г\.\s*$").unwrap());
static DEFINITION: LazyLock<Regex> = LazyLock::new(|| Regex::new(super::rules::DEFINITION).unwrap());

/// Turns the bytes of a policy file into text, or says in one sentence why it cannot.
pub fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        utf8(rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, u16::from_be_bytes)?
    } else {
        utf8(bytes)?
    };
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')).count();
    if controls * 100 > text.chars().count() {
        return Err(ImportError::Binary);
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    if !text.chars().any(is_cyrillic) {
        return Err(ImportError::NotRussianOrKazakh);
    }
    Ok(text)
}

fn utf8(bytes: &[u8]) -> Result<String, ImportError> {
    if bytes.contains(&0) {
        return Err(ImportError::Binary);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        // Windows-1251 Cyrillic is mostly bytes C0–FF; binary data is spread over every value.
        Err(_)
            if bytes.iter().filter(|b| **b >= 0xC0).count() * 3
                > bytes.iter().filter(|b| !b.is_ascii()).count() * 2 =>
        {
            Err(ImportError::NotUtf8)
        }
        Err(_) => Err(ImportError::Binary),
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, ImportError> {
    let units = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| ImportError::Binary)
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4ff}').contains(&c)
}

/// Kazakh when more than one Cyrillic word in five has a letter only Kazakh has (ә, ғ, қ, ң,
/// ө, ұ, ү, һ, і): in Kazakh prose about half the words do, in a Russian text only names
/// (Нұр-Сұлтан, Мәңгілік Ел).
fn language(text: &str) -> Lang {
    let (mut cyrillic, mut kazakh) = (0usize, 0usize);
    for word in text.split(|c: char| !c.is_alphabetic()) {
        if word.chars().any(is_cyrillic) {
            cyrillic += 1;
            if word.chars().any(|c| "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(c)) {
                kazakh += 1;
            }
        }
    }
    if kazakh * 5 > cyrillic {
        Lang::Kk
    } else {
        Lang::Ru
    }
}

/// One non-empty input line, cleaned.
struct Line {
    number: usize,
    text: String,
    bullet: bool,
    clause: Option<String>,
    section_heading: bool,
}

fn clean(raw: &str, number: usize) -> Option<Line> {
    let text = MARKUP.replace_all(raw, |c: &regex::Captures| c.get(1).map_or(String::new(), |u| u.as_str().to_owned()));
    let text = SPACES.replace_all(&text, " ");
    let text = MD_HEADING.replace(text.trim(), "");
    let (bullet, text) = match BULLET.find(&text) {
        Some(m) => (true, text[m.end()..].to_owned()),
        None => (false, text.into_owned()),
    };
    if text.is_empty() {
        return None;
    }
    let mut line = Line { number, text, bullet, clause: None, section_heading: false };
    if let Some(c) = KK_SECTION.captures(&line.text) {
        line.clause = Some(c[1].to_owned());
        line.section_heading = true;
        line.text = if c[2].is_empty() { line.text.clone() } else { c[2].to_owned() };
    } else if let Some(c) = MULTI_NUMBER.captures(&line.text).or_else(|| SINGLE_NUMBER.captures(&line.text)) {
        line.clause = Some(c[1].to_owned());
        line.text = c[2].to_owned();
    }
    Some(line)
}

fn ends_with_colon(s: &str) -> bool {
    s.trim_end().ends_with(':')
}

/// A short line without a final period is a heading; so is a line in capitals.
fn looks_like_heading(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let capitals = letters > 3 && !text.chars().any(char::is_lowercase);
    let short = text.chars().count() <= 150 && !text.trim_end().ends_with(['.', ';', '!', '?']);
    capitals || short
}

impl Policy {
    pub fn read(text: &str) -> Policy {
        let lang = language(text);
        let mut blocks: Vec<Block> = Vec::new();
        let mut clause: Option<String> = None;
        let mut section: Option<String> = None;
        let mut by_number: HashMap<String, usize> = HashMap::new();
        // The last block that can introduce a list of bullets.
        let mut owner: Option<usize> = None;
        // Still in the title lines at the top?
        let mut in_title = true;
        for (i, raw) in text.lines().enumerate() {
            let Some(line) = clean(raw, i + 1) else { continue };
            // A line that starts in lowercase continues the sentence the previous one broke.
            if line.clause.is_none() && !line.bullet && line.text.starts_with(char::is_lowercase) {
                if let Some(last) = blocks.last_mut().filter(|b| !b.heading) {
                    last.text.push(' ');
                    last.text.push_str(&line.text);
                    continue;
                }
            }
            let idx = blocks.len();
            let (place, heading, lead) = match &line.clause {
                Some(n) => {
                    let top = !n.contains('.');
                    let heading = line.section_heading || (top && looks_like_heading(&line.text));
                    let parent = n.rsplit_once('.').map(|(p, _)| p.to_owned());
                    let lead =
                        parent.and_then(|p| by_number.get(&p).copied()).filter(|&b| ends_with_colon(&blocks[b].text));
                    by_number.insert(n.clone(), idx);
                    if heading {
                        section = Some(n.clone());
                        clause = None;
                        (Place::Section(n.clone()), true, lead)
                    } else {
                        clause = Some(n.clone());
                        (Place::Clause(n.clone()), false, lead)
                    }
                }
                None => {
                    let place = match (&clause, &section) {
                        (Some(c), _) => Place::Clause(c.clone()),
                        (None, Some(s)) => Place::Section(s.clone()),
                        (None, None) => {
                            in_title = in_title && looks_like_heading(&line.text);
                            if in_title {
                                Place::Title
                            } else {
                                Place::Preamble
                            }
                        }
                    };
                    let heading = place == Place::Title;
                    let lead = if line.bullet { owner.filter(|&b| ends_with_colon(&blocks[b].text)) } else { None };
                    (place, heading, lead)
                }
            };
            if !(line.bullet && line.clause.is_none()) {
                owner = Some(idx);
            }
            in_title = in_title && place == Place::Title;
            blocks.push(Block { place, line: line.number, text: line.text, heading, lead });
        }
        let mut sentences = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            split_sentences(b, &block.text, &mut sentences);
        }
        Policy { lang, blocks, sentences }
    }

    pub fn text(&self, s: &Sentence) -> &str {
        &self.blocks[s.block].text[s.start..s.end]
    }

    pub fn block(&self, s: &Sentence) -> &Block {
        &self.blocks[s.block]
    }

    /// The text of the sentence introducing the list this sentence is an item of.
    pub fn lead(&self, s: &Sentence) -> Option<&str> {
        self.blocks[s.block].lead.map(|b| self.blocks[b].text.as_str())
    }
}

/// Splits a block into sentences (Unicode sentence boundaries, UAX #29), then joins back what
/// an abbreviation split: «г. Алматы», «т.д.», initials.
fn split_sentences(block: usize, text: &str, out: &mut Vec<Sentence>) {
    let base = text.as_ptr() as usize;
    let mut current: Option<(usize, usize)> = None;
    for piece in text.unicode_sentences() {
        let start = piece.as_ptr() as usize - base;
        let end = start + piece.len();
        current = match current {
            Some((s, e)) => {
                let before = &text[s..e];
                let glued = ABBREVIATION.is_match(before) && !YEAR_END.is_match(before)
                    || piece.starts_with(char::is_lowercase);
                if glued {
                    Some((s, end))
                } else {
                    push(block, text, s, e, out);
                    Some((start, end))
                }
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        push(block, text, s, e, out);
    }
}

fn push(block: usize, text: &str, start: usize, end: usize, out: &mut Vec<Sentence>) {
    let piece = &text[start..end];
    let trimmed = piece.trim();
    if trimmed.is_empty() {
        return;
    }
    let start = start + (piece.len() - piece.trim_start().len());
    let end = start + trimmed.len();
    let first = out.last().is_none_or(|s| s.block != block);
    out.push(Sentence { block, start, end, definition: first && DEFINITION.is_match(trimmed) });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(p: &Policy) -> Vec<(String, String)> {
        p.sentences.iter().map(|s| (p.block(s).place.cite(Lang::Ru), p.text(s).to_owned())).collect()
    }

    #[test]
    fn clauses_bullets_and_broken_lines() {
        let text = "ПОЛИТИКА\n\n1. Общие положения\n\nТекст раздела.\n\n1.1 Первый пункт, который\n\nпродолжается здесь.\n- 3.3. Данные:\n- IP адрес;\n- * время доступа.\n4.4.1 органам;\n";
        let p = Policy::read(text);
        let got = places(&p);
        assert_eq!(got[0], ("заголовок".into(), "ПОЛИТИКА".into()));
        assert_eq!(got[1], ("разд. 1".into(), "Общие положения".into()));
        assert_eq!(got[2], ("разд. 1".into(), "Текст раздела.".into()));
        assert_eq!(got[3], ("п. 1.1".into(), "Первый пункт, который продолжается здесь.".into()));
        assert_eq!(got[4], ("п. 3.3".into(), "Данные:".into()));
        assert_eq!(got[5], ("п. 3.3".into(), "IP адрес;".into()));
        assert_eq!(got[6], ("п. 3.3".into(), "время доступа.".into()));
        assert_eq!(p.lead(&p.sentences[5]), Some("Данные:"));
        assert_eq!(p.lead(&p.sentences[6]), Some("Данные:"));
    }

    #[test]
    fn abbreviations_do_not_end_sentences_but_a_year_does() {
        let p = Policy::read("Преамбула: г. Алматы, ул. Абая, д. 1, т.д. и т.п. Конец.\n9.4. Обновлена 04.08.2022 г. ТОО «А» может её менять.\n");
        let got: Vec<&str> = p.sentences.iter().map(|s| p.text(s)).collect();
        assert_eq!(
            got,
            [
                "Преамбула: г. Алматы, ул. Абая, д. 1, т.д. и т.п. Конец.",
                "Обновлена 04.08.2022 г.",
                "ТОО «А» может её менять."
            ]
        );
    }

    #[test]
    fn markdown_is_dropped_and_definitions_are_marked() {
        let p = Policy::read(
            "- 1.1.7. «Cookies» — небольшой фрагмент данных.\nСайт **https://Example.kz/** и <https://example.kz/p>.\n",
        );
        assert!(p.sentences[0].definition);
        assert!(!p.sentences[1].definition);
        assert_eq!(p.text(&p.sentences[1]), "Сайт https://Example.kz/ и https://example.kz/p.");
    }

    #[test]
    fn kazakh_is_told_from_russian() {
        assert_eq!(language("Біз cookie файлдарын пайдаланамыз, өйткені сайттың жұмысы үшін қажет."), Lang::Kk);
        assert_eq!(language("Мы используем файлы cookie для работы сайта и подсчёта посещений. Адрес: г. Нұр-Сұлтан, пр. Мәңгілік Ел, 1."), Lang::Ru);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(matches!(decode(b""), Err(ImportError::Empty)));
        assert!(matches!(decode(b" \n\t "), Err(ImportError::Empty)));
        assert!(matches!(decode(b"%PDF-1.7\x00\x01\x02"), Err(ImportError::Binary)));
        assert!(matches!(decode(&[0xCF, 0xEE, 0xEB, 0xE8, 0xF2, 0xE8, 0xEA, 0xE0]), Err(ImportError::NotUtf8)));
        assert!(matches!(decode(b"Privacy policy in English."), Err(ImportError::NotRussianOrKazakh)));
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("Политика".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(decode(&utf16).unwrap(), "Политика");
    }
}
