//! # Policy import (docs/site-policy.md §8)
//!
//! `kelisim policy import POLICY.txt --id SITE_ID` reads a site's own privacy policy (plain
//! text, Russian or Kazakh) and drafts its site policy file: the operator's details, the
//! categories the text implies, each category's data, purposes and recipients — every fact
//! with a comment citing the clause and quoting the sentence it came from.
//!
//! It never invents a fact. What the text does not say is a `TODO` in the draft, and
//! `kelisim site check` refuses the file until a person has replaced every one. The only texts
//! it writes without the policy saying them are neutral: category titles and descriptions, the
//! Kazakh/Russian/English wording of the data and purposes its rules recognise, and the legal
//! form of a name (ТОО = ЖШС = LLP). Those are marked as such in the draft.
//!
//! Plain Rust, no actix: [`reader`] turns the text into clauses and sentences, [`extract`]
//! applies the table of [`rules`], [`draft`] writes the TOML, [`report`] the JSON findings.
//! [`document`] takes the text out of an uploaded `.txt`, `.docx` or PDF (the dashboard's New site).
//!
//! ```text
//! kelisim policy import privacy.txt --id example > sites/example.toml
//! kelisim policy import privacy.txt --id example --format json
//! ```

mod categories;
pub mod document;
mod docx_numbering;
mod draft;
mod extract;
mod pdf;
mod reader;
mod report;
mod rules;

use categories::CategoryId;
use extract::Finding;
use kelisim_shared::lang::Lang;
use reader::Policy;
use rules::Kind;
use std::collections::{BTreeSet, HashSet};

/// Why a file cannot be imported. Each message completes "kelisim: FILE …" in one sentence.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("is empty: there is no policy text to read")]
    Empty,
    #[error("is not a text file (it looks like binary data, such as a PDF or a Word document): save the policy as plain UTF-8 text and import that")]
    Binary,
    #[error("is not UTF-8 text (it looks like Windows-1251): convert it first, e.g. `iconv -f cp1251 -t utf-8 FILE > FILE.txt`")]
    NotUtf8,
    #[error("holds no Russian or Kazakh text: `kelisim policy import` reads policies written in Russian or Kazakh")]
    NotRussianOrKazakh,
}

/// A policy read and its findings, ready to be written as a draft or a report.
pub struct Import {
    pub site: String,
    /// The file name, for the draft's header.
    pub source: String,
    pub languages: Vec<Lang>,
    policy: Policy,
    findings: Vec<Finding>,
    /// Whether the text mentions cookies, counters, pixels or a named tracking service.
    tracking: bool,
    categories: Vec<CategoryId>,
}

impl Import {
    /// Reads a policy file's bytes. `languages` overrides the draft's languages (default: the
    /// policy's language first, then the other of kk/ru, then en).
    pub fn read(bytes: &[u8], site: &str, source: &str, languages: Option<Vec<Lang>>) -> Result<Import, ImportError> {
        let text = reader::decode(bytes)?;
        let policy = Policy::read(&text);
        let findings = extract::extract(&policy);
        let (tracking, categories) = propose(&findings);
        let languages = languages.unwrap_or_else(|| match policy.lang {
            Lang::Kk => vec![Lang::Kk, Lang::Ru, Lang::En],
            _ => vec![Lang::Ru, Lang::Kk, Lang::En],
        });
        Ok(Import {
            site: site.to_owned(),
            source: source.to_owned(),
            languages,
            policy,
            findings,
            tracking,
            categories,
        })
    }

    /// The language the policy is written in.
    pub fn language(&self) -> Lang {
        self.policy.lang
    }

    /// The categories the draft proposes, in display order.
    pub fn categories(&self) -> &[CategoryId] {
        &self.categories
    }

    /// The draft site policy file, and the fields left as TODO.
    pub fn draft(&self) -> draft::Draft {
        draft::write(self, Lang::En)
    }

    /// The draft with its TODOs saying what to write in `reader`'s language (the dashboard's).
    pub fn draft_for(&self, reader: Lang) -> draft::Draft {
        draft::write(self, reader)
    }

    /// The findings as JSON, for tools.
    pub fn report_json(&self) -> String {
        report::json(self, &self.draft().todos)
    }

    /// The implied-consent and other warnings, one line each, for the command's summary.
    pub fn warnings(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.warning.is_some())
            .map(|f| format!("{} ({})", warning_title(f.kind)[2], self.place(f).cite(self.policy.lang)))
            .collect()
    }

    fn place(&self, f: &Finding) -> &reader::Place {
        &self.policy.block(&self.policy.sentences[f.sentence]).place
    }

    fn line(&self, f: &Finding) -> usize {
        self.policy.block(&self.policy.sentences[f.sentence]).line
    }

    fn sentence(&self, f: &Finding) -> &str {
        self.policy.text(&self.policy.sentences[f.sentence])
    }

    fn matched(&self, f: &Finding) -> &str {
        &self.sentence(f)[f.span.clone()]
    }

    /// The sentence a finding came from, cut to about `max` characters around the match.
    fn quote(&self, f: &Finding, max: usize) -> String {
        excerpt(self.sentence(f), f.span.clone(), max)
    }

    /// «п. 3.3: «IP адрес; …»»: how a comment in the draft cites a finding.
    fn cite(&self, f: &Finding) -> String {
        format!("{}: «{}»", self.place(f).cite(self.policy.lang), self.quote(f, 160))
    }

    fn of(&self, kind: Kind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

/// What a warning is about, in kk, ru, en: the draft says it in its reader's language, the
/// command's summary in English.
fn warning_title(kind: Kind) -> categories::Texts {
    match kind {
        Kind::ImpliedConsent => [
            "саясат сайтты пайдалануды келісім деп санайды",
            "политика считает использование сайта согласием",
            "the policy takes using the site as consent",
        ],
        Kind::LegitimateInterest => [
            "саясат заңды мүдделерге сүйенеді",
            "политика ссылается на законные интересы",
            "the policy relies on legitimate interests",
        ],
        Kind::Bin => [
            "БСН/ЖСН бақылау цифры бойынша тексеруден өтпейді",
            "контрольная цифра БИН/ИИН не сходится",
            "a BIN/IIN fails its check digit",
        ],
        _ => ["осы жерді тексеріңіз", "проверьте это место", "check this finding"],
    }
}

/// Necessary is always proposed. The optional categories only when the text mentions a
/// tracking technology at all (cookies, counters, pixels, a named service): then each purpose
/// it names proposes its category, and so does a counter or pixel whose sentence names no
/// purpose. A policy silent on cookies gets `necessary` alone, its other purposes listed in a
/// comment for a person to judge.
fn propose(findings: &[Finding]) -> (bool, Vec<CategoryId>) {
    let tracking = findings.iter().any(|f| matches!(f.kind, Kind::Technology | Kind::Service));
    let mut categories = BTreeSet::from([CategoryId::Necessary]);
    if tracking {
        let with_purpose: HashSet<usize> =
            findings.iter().filter(|f| f.kind == Kind::Purpose).map(|f| f.sentence).collect();
        for f in findings {
            let proposes = match f.kind {
                Kind::Purpose | Kind::Service | Kind::CookieName => true,
                Kind::Technology => !with_purpose.contains(&f.sentence),
                _ => false,
            };
            if let (true, Some(c)) = (proposes, f.category) {
                categories.insert(c);
            }
        }
    }
    (tracking, categories.into_iter().collect())
}

/// `text` whole if it is short, else about `max` characters around `span`, cut at spaces and
/// marked with «…». Linear in the excerpt, so a huge sentence costs nothing extra.
fn excerpt(text: &str, span: std::ops::Range<usize>, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub(text[span.clone()].chars().count()) / 2;
    let mut start = span.start;
    for (n, (i, _)) in text[..span.start].char_indices().rev().enumerate() {
        if n >= room {
            break;
        }
        start = i;
    }
    let mut end = span.end;
    for (n, (i, c)) in text[span.end..].char_indices().enumerate() {
        if n >= room {
            break;
        }
        end = span.end + i + c.len_utf8();
    }
    // Cut at a space, so no word is broken.
    if start > 0 {
        if let Some(sp) = text[start..span.start].find(' ') {
            start += sp + 1;
        }
    }
    if end < text.len() {
        if let Some(sp) = text[span.end..end].rfind(' ') {
            end = span.end + sp;
        }
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(text[start..end].trim());
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
