//! The text of a privacy policy uploaded as a file (the dashboard's "New site", README): plain
//! text, a Word `.docx` or a PDF with a text layer, told apart by their first bytes (`PK` zip,
//! `%PDF`), the file name's extension only where the bytes say nothing.
//!
//! - Text: UTF-8 with or without a byte-order mark, UTF-16 with one, or Windows-1251 (Russian
//!   `.txt` files saved by Notepad and 1C often are).
//! - `.docx`: `word/document.xml` read with quick-xml: a paragraph (`w:p`) is a line, its runs'
//!   `w:t` the text, `w:tab` a tab and `w:br`/`w:cr` a line break; Word's automatic numbering
//!   (`word/numbering.xml`) is written out as text («1.1.», «а)», «•»), since the importer cites
//!   clauses by their numbers. Deleted and moved-away text of tracked changes is left out.
//! - PDF (lopdf): its text layer, read by `import::pdf`; a scan has none ([`DocumentError::NoText`]).
//!
//! Nothing here logs or keeps what a file says: errors name what is wrong, never the content.

use std::collections::HashMap;
use std::io::Read;

use super::docx_numbering::{style_numbers, Counters, NumPr, Numbering};

/// The kind of document a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Docx,
    Pdf,
}

impl Kind {
    /// How a person names the format: ".txt", ".docx", "PDF".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => ".txt",
            Kind::Docx => ".docx",
            Kind::Pdf => "PDF",
        }
    }
}

/// Why a file gives no text. Each message completes "the file …".
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("is neither plain text (UTF-8 or Windows-1251), a Word .docx nor a PDF")]
    Unknown,
    #[error("is a Word 97–2003 .doc: save it as .docx or PDF")]
    OldWord,
    #[error("is damaged, or is not really a {} file", .0.name())]
    Corrupt(Kind),
    #[error("is a PDF protected by a password")]
    Locked,
    #[error("holds no text ({})", if *.0 == Kind::Pdf { "a PDF without a text layer, e.g. a scan" } else { "it is empty" })]
    NoText(Kind),
}

/// At most this much XML is read from a `.docx` (a policy's is well under 1 MiB), and at most
/// this much is inflated from one PDF stream: a small file cannot inflate without bound.
pub(super) const INFLATED_LIMIT: usize = 64 << 20;

/// The text of the file `bytes`, named `file_name` by the person who uploaded it.
pub fn text(bytes: &[u8], file_name: &str) -> Result<(Kind, String), DocumentError> {
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (kind, text) = if bytes.starts_with(b"PK\x03\x04") {
        (Kind::Docx, docx(bytes)?)
    } else if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        (Kind::Pdf, super::pdf::text(bytes)?)
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Err(DocumentError::OldWord);
    } else if extension == "docx" {
        return Err(DocumentError::Corrupt(Kind::Docx));
    } else if extension == "pdf" {
        return Err(DocumentError::Corrupt(Kind::Pdf));
    } else {
        (Kind::Text, plain(bytes)?)
    };
    if !text.chars().any(char::is_alphanumeric) {
        return Err(DocumentError::NoText(kind));
    }
    Ok((kind, text))
}

/// Plain text in UTF-8 (a BOM is dropped), UTF-16 with a BOM, or Windows-1251.
fn plain(bytes: &[u8]) -> Result<String, DocumentError> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        std::str::from_utf8(rest).map_err(|_| DocumentError::Unknown)?.to_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(encoding_rs::UTF_16LE, rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(encoding_rs::UTF_16BE, rest)?
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.to_owned()
    } else if bytes.contains(&0) {
        return Err(DocumentError::Unknown);
    } else {
        // Windows-1251 maps nearly every byte to something: it is taken only when what is not
        // ASCII reads as Cyrillic letters and typographic marks, as a Russian or Kazakh text does.
        let text = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes).0.into_owned();
        let other = text.chars().filter(|c| !c.is_ascii()).collect::<Vec<_>>();
        let cyrillic = other.iter().filter(|c| ('\u{0400}'..='\u{04FF}').contains(*c)).count();
        if cyrillic * 10 < other.len() * 8 {
            return Err(DocumentError::Unknown);
        }
        text
    };
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')).count();
    if controls * 100 > text.chars().count() {
        return Err(DocumentError::Unknown);
    }
    Ok(text.replace("\r\n", "\n"))
}

fn utf16(encoding: &'static encoding_rs::Encoding, bytes: &[u8]) -> Result<String, DocumentError> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
        .ok_or(DocumentError::Unknown)
}

// ---------------------------------------------------------------------------------------------
// .docx

/// One part of the archive, as text (at most [`INFLATED_LIMIT`] of it).
fn part(zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> Result<Option<String>, DocumentError> {
    let corrupt = || DocumentError::Corrupt(Kind::Docx);
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(_) => return Err(corrupt()),
    };
    let mut xml = Vec::new();
    file.take(INFLATED_LIMIT as u64 + 1).read_to_end(&mut xml).map_err(|_| corrupt())?;
    if xml.len() > INFLATED_LIMIT {
        return Err(corrupt());
    }
    String::from_utf8(xml).map(Some).map_err(|_| corrupt())
}

fn docx(bytes: &[u8]) -> Result<String, DocumentError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| DocumentError::Corrupt(Kind::Docx))?;
    // Another zip (an .xlsx, an .odt, an archive) is not a policy this reads.
    let Some(document) = part(&mut zip, "word/document.xml")? else { return Err(DocumentError::Unknown) };
    let numbering = match part(&mut zip, "word/numbering.xml")? {
        Some(xml) => Numbering::read(&xml).unwrap_or_default(),
        None => Numbering::default(),
    };
    let styles = match part(&mut zip, "word/styles.xml")? {
        Some(xml) => style_numbers(&xml).unwrap_or_default(),
        None => HashMap::new(),
    };
    paragraphs(&document, &numbering, &styles).map_err(|_| DocumentError::Corrupt(Kind::Docx))
}

/// A `w:val` (or another) attribute of an element.
pub(super) fn attr(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok().flatten()?;
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned())
}

/// The text of an entity or character reference (`&amp;`, `&#1040;`).
fn reference(r: &quick_xml::events::BytesRef) -> String {
    match r.resolve_char_ref() {
        Ok(Some(c)) => c.to_string(),
        _ => {
            let name = r.xml10_content();
            quick_xml::escape::resolve_predefined_entity(&name).unwrap_or_default().to_owned()
        }
    }
}

/// `word/document.xml` as lines: one per paragraph, list labels written out.
fn paragraphs(xml: &str, numbering: &Numbering, styles: &HashMap<String, NumPr>) -> Result<String, quick_xml::Error> {
    use quick_xml::events::Event;
    struct Para {
        text: String,
        num: NumPr,
        style: Option<String>,
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut counters = Counters::default();
    let mut stack: Vec<Para> = Vec::new();
    // Inside a run, a `w:t`, the paragraph's own properties, removed text of tracked changes.
    let (mut run, mut t, mut ppr, mut gone) = (0usize, 0usize, 0usize, 0usize);
    loop {
        let event = reader.read_event()?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                match name.as_ref() {
                    "p" if !empty => stack.push(Para { text: String::new(), num: NumPr::default(), style: None }),
                    "p" => out.push('\n'),
                    "r" if !empty => run += 1,
                    "t" if !empty => t += 1,
                    "pPr" if !empty => ppr += 1,
                    "moveFrom" | "del" | "pPrChange" if !empty => gone += 1,
                    "numId" | "ilvl" | "pStyle" if ppr > 0 && gone == 0 => {
                        if let Some(p) = stack.last_mut() {
                            let v = attr(e, "w:val");
                            match name.as_ref() {
                                "numId" => p.num.num = v.and_then(|v| v.parse().ok()),
                                "ilvl" => p.num.level = v.and_then(|v| v.parse().ok()),
                                _ => p.style = v,
                            }
                        }
                    }
                    "tab" | "br" | "cr" | "noBreakHyphen" if run > 0 && gone == 0 => {
                        let c = match name.as_ref() {
                            "tab" => '\t',
                            "noBreakHyphen" => '-',
                            _ => '\n',
                        };
                        if let Some(p) = stack.last_mut() {
                            p.text.push(c);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(x) if t > 0 && gone == 0 => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&x.xml10_content());
                }
            }
            Event::CData(x) if t > 0 && gone == 0 => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(x);
                }
            }
            Event::GeneralRef(r) if t > 0 && gone == 0 => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&reference(r));
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "p" => {
                    let Some(p) = stack.pop() else { continue };
                    let style = p.style.as_ref().and_then(|s| styles.get(s)).copied().unwrap_or_default();
                    let num = p.num.num.or(style.num).filter(|n| *n != 0);
                    let level = p.num.level.or(style.level).unwrap_or(0);
                    let label = num.and_then(|n| counters.next(numbering, n, level)).filter(|l| !l.is_empty());
                    if let Some(label) = label {
                        out.push_str(&label);
                        out.push(' ');
                    }
                    out.push_str(&p.text);
                    out.push('\n');
                }
                "r" => run = run.saturating_sub(1),
                "t" => t = t.saturating_sub(1),
                "pPr" => ppr = ppr.saturating_sub(1),
                "moveFrom" | "del" | "pPrChange" => gone = gone.saturating_sub(1),
                _ => {}
            },
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const POLICY: &str = "Политика конфиденциальности\n1. Оператор — ТОО «Ромашка», БИН 190340018763.\n";

    /// A .docx holding `document` (and `numbering` when given), as Word lays one out.
    fn docx_of(document: &str, numbering: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", o).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file("word/document.xml", o).unwrap();
        zip.write_all(document.as_bytes()).unwrap();
        if let Some(n) = numbering {
            zip.start_file("word/numbering.xml", o).unwrap();
            zip.write_all(n.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const W: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";

    #[test]
    fn text_in_utf8_with_or_without_a_bom_and_in_windows_1251() {
        assert_eq!(text(POLICY.as_bytes(), "p.txt"), Ok((Kind::Text, POLICY.to_owned())));
        let bom = [b"\xEF\xBB\xBF".as_slice(), POLICY.as_bytes()].concat();
        assert_eq!(text(&bom, "p.txt"), Ok((Kind::Text, POLICY.to_owned())));
        let (cp1251, _, unmappable) = encoding_rs::WINDOWS_1251.encode(POLICY);
        assert!(!unmappable && std::str::from_utf8(&cp1251).is_err());
        assert_eq!(text(&cp1251, "p.txt"), Ok((Kind::Text, POLICY.to_owned())));
        let crlf = POLICY.replace('\n', "\r\n");
        assert_eq!(text(crlf.as_bytes(), "p.txt").unwrap().1, POLICY);
        // Whatever the extension says, text is text.
        assert_eq!(text(POLICY.as_bytes(), "policy.doc").unwrap().0, Kind::Text);
    }

    #[test]
    fn binary_old_word_or_empty_files_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0";
        assert_eq!(text(png, "policy.txt"), Err(DocumentError::Unknown));
        assert_eq!(text(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", "policy.doc"), Err(DocumentError::OldWord));
        assert_eq!(text(b" \n\t\n", "policy.txt"), Err(DocumentError::NoText(Kind::Text)));
        assert_eq!(text(b"", "policy.txt"), Err(DocumentError::NoText(Kind::Text)));
        // Named .pdf or .docx, but neither: damaged.
        assert_eq!(text(b"<html>not a pdf</html>", "policy.pdf"), Err(DocumentError::Corrupt(Kind::Pdf)));
        assert_eq!(text(b"hello", "policy.DOCX"), Err(DocumentError::Corrupt(Kind::Docx)));
    }

    #[test]
    fn a_docx_paragraphs_runs_tabs_breaks_and_entities() {
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
             <w:document {W}><w:body>\
             <w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>\
               <w:r><w:rPr><w:b/></w:rPr><w:t>1.</w:t></w:r><w:r><w:tab/><w:t xml:space=\"preserve\">Оператор — ТОО </w:t></w:r>\
               <w:r><w:t>&#171;Ромашка&#187; &amp; партнёры</w:t></w:r></w:p>\
             <w:p><w:r><w:t>БИН</w:t><w:br/><w:t>190340018763</w:t></w:r>\
               <w:del><w:r><w:delText>удалено</w:delText></w:r></w:del></w:p>\
             <w:p/>\
             </w:body></w:document>"
        );
        let (kind, text) = text(&docx_of(&document, None), "policy.docx").unwrap();
        assert_eq!(kind, Kind::Docx);
        assert_eq!(text, "1.\tОператор — ТОО «Ромашка» & партнёры\nБИН\n190340018763\n\n");
    }

    #[test]
    fn a_docx_automatic_numbering_is_written_out() {
        let numbering = format!(
            "<w:numbering {W}>\
             <w:abstractNum w:abstractNumId=\"7\">\
               <w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"decimal\"/><w:lvlText w:val=\"%1.\"/></w:lvl>\
               <w:lvl w:ilvl=\"1\"><w:start w:val=\"1\"/><w:numFmt w:val=\"decimal\"/><w:lvlText w:val=\"%1.%2.\"/></w:lvl>\
               <w:lvl w:ilvl=\"2\"><w:start w:val=\"1\"/><w:numFmt w:val=\"russianLower\"/><w:lvlText w:val=\"%3)\"/></w:lvl>\
             </w:abstractNum>\
             <w:abstractNum w:abstractNumId=\"8\"><w:lvl w:ilvl=\"0\"><w:numFmt w:val=\"bullet\"/><w:lvlText w:val=\"\u{F0B7}\"/></w:lvl></w:abstractNum>\
             <w:num w:numId=\"1\"><w:abstractNumId w:val=\"7\"/></w:num>\
             <w:num w:numId=\"2\"><w:abstractNumId w:val=\"8\"/></w:num>\
             </w:numbering>"
        );
        let p = |num: u32, level: u32, t: &str| {
            format!("<w:p><w:pPr><w:numPr><w:ilvl w:val=\"{level}\"/><w:numId w:val=\"{num}\"/></w:numPr></w:pPr><w:r><w:t>{t}</w:t></w:r></w:p>")
        };
        let document = format!(
            "<w:document {W}><w:body>{}{}{}{}{}{}{}</w:body></w:document>",
            p(1, 0, "Общие положения"),
            p(1, 1, "Оператор собирает:"),
            p(1, 2, "имя;"),
            p(1, 2, "телефон."),
            p(2, 0, "cookie"),
            p(1, 1, "Срок хранения."),
            p(1, 0, "Права"),
        );
        let (_, text) = text(&docx_of(&document, Some(&numbering)), "policy.docx").unwrap();
        assert_eq!(
            text,
            "1. Общие положения\n1.1. Оператор собирает:\nа) имя;\nб) телефон.\n• cookie\n1.2. Срок хранения.\n2. Права\n"
        );
    }

    #[test]
    fn a_zip_that_is_not_a_docx_or_a_broken_one() {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"<office:document/>").unwrap();
        let odt = zip.finish().unwrap().into_inner();
        assert_eq!(text(&odt, "policy.odt"), Err(DocumentError::Unknown));
        let whole = docx_of(
            &format!("<w:document {W}><w:body><w:p><w:r><w:t>Текст</w:t></w:r></w:p></w:body></w:document>"),
            None,
        );
        assert_eq!(text(&whole[..whole.len() / 2], "policy.docx"), Err(DocumentError::Corrupt(Kind::Docx)));
        let broken = docx_of(&format!("<w:document {W}><w:body><w:p><w:r><w:t>Текст</w:p></w:body>"), None);
        assert_eq!(text(&broken, "policy.docx"), Err(DocumentError::Corrupt(Kind::Docx)));
    }

    /// A one-page PDF whose content stream is `content`, with font F1 of `font` (and its
    /// `ToUnicode` map, when given).
    fn pdf_of(content: &str, mut font: lopdf::Dictionary, to_unicode: Option<String>) -> Vec<u8> {
        use lopdf::{dictionary, Object, Stream};
        let mut doc = lopdf::Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        if let Some(cmap) = to_unicode {
            font.set("ToUnicode", doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes())));
        }
        let font_id = doc.add_object(font);
        let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
        );
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// A font whose codes are two bytes, mapped to Unicode by a ToUnicode CMap (how Chromium,
    /// Word and LibreOffice embed Cyrillic), for the characters of `chars`; and the hex codes of
    /// a string in it.
    fn cid_font(chars: &str) -> (lopdf::Dictionary, String, impl Fn(&str) -> String) {
        use lopdf::dictionary;
        let mut seen: Vec<char> = Vec::new();
        for c in chars.chars() {
            if !seen.contains(&c) {
                seen.push(c);
            }
        }
        let map: String =
            seen.iter().enumerate().map(|(i, c)| format!("<{:04X}> <{:04X}>\n", i + 1, *c as u32)).collect();
        let cmap = format!(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def /CMapType 2 def\n\
             1 begincodespacerange <0000> <FFFF> endcodespacerange\n{} beginbfchar\n{map}endbfchar\n\
             endcmap CMapName currentdict /CMap defineresource pop end end",
            seen.len()
        );
        let font = dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "DejaVuSerif", "Encoding" => "Identity-H",
        };
        let codes = move |s: &str| {
            s.chars().map(|c| format!("{:04X}", seen.iter().position(|x| *x == c).unwrap() + 1)).collect()
        };
        (font, cmap, codes)
    }

    #[test]
    fn a_pdf_text_layer_through_its_tounicode_map_with_wrapped_lines_joined() {
        // The title, a gap, two lines of one paragraph at the usual step, a gap, the next clause;
        // a lone page number at the foot of the page.
        let lines = [
            (800, "Политика конфиденциальности"),
            (770, "1. Оператор — ТОО «Ромашка», БИН 190340018763, обрабатывает"),
            (756, "Персональные данные Пользователей."),
            (742, "Пользователь соглашается."),
            (714, "2. Срок хранения — три года."),
            (40, "7"),
        ];
        let (font, cmap, codes) = cid_font(&lines.map(|(_, l)| l).concat());
        let mut content = String::from("BT /F1 12 Tf\n");
        for (y, line) in lines {
            content.push_str(&format!("1 0 0 1 72 {y} Tm <{}> Tj\n", codes(line)));
        }
        content.push_str("ET\n");
        let (kind, text) = text(&pdf_of(&content, font, Some(cmap)), "policy.pdf").unwrap();
        assert_eq!(kind, Kind::Pdf);
        assert_eq!(
            text,
            "Политика конфиденциальности\n\
             1. Оператор — ТОО «Ромашка», БИН 190340018763, обрабатывает Персональные данные Пользователей.\n\
             Пользователь соглашается.\n\
             2. Срок хранения — три года.\n"
        );
    }

    #[test]
    fn a_pdf_without_a_text_layer_or_a_broken_one() {
        use lopdf::dictionary;
        // A scan: an image painted on the page, no text.
        let scan = pdf_of(
            "q 595 0 0 842 0 0 cm /Im1 Do Q\n",
            dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
            None,
        );
        assert_eq!(text(&scan, "scan.pdf"), Err(DocumentError::NoText(Kind::Pdf)));
        assert_eq!(text(b"%PDF-1.7\n1 0 obj garbage", "policy.pdf"), Err(DocumentError::Corrupt(Kind::Pdf)));
    }

    /// The fixtures of the upload tests (tests/fixtures/policies/documents, made from the .txt
    /// beside them by make.sh there): each paragraph of the text comes back as one line.
    #[test]
    fn the_fixture_documents_give_the_policy_text_back() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/policies");
        // Paragraphs, whitespace squeezed; a line in lowercase continues the one before it, as
        // the importer's reader takes it (the .txt has such breaks, and a paragraph that goes on
        // over a page break of the PDF comes as two lines).
        let paragraphs = |t: &str| {
            let mut out: Vec<String> = Vec::new();
            for line in t.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty())
            {
                match out.last_mut() {
                    Some(last) if line.starts_with(char::is_lowercase) => *last = format!("{last} {line}"),
                    _ => out.push(line),
                }
            }
            out
        };
        for name in ["webpulse.kz.ru", "zhibek-shop.kk"] {
            let source = paragraphs(&std::fs::read_to_string(fixtures.join(format!("{name}.txt"))).unwrap());
            for (file, kind) in [(format!("{name}.docx"), Kind::Docx), (format!("{name}.pdf"), Kind::Pdf)] {
                let bytes = std::fs::read(fixtures.join("documents").join(&file)).unwrap();
                let (got, text) = text(&bytes, &file).unwrap();
                assert_eq!(got, kind);
                let got = paragraphs(&text);
                for (i, (a, b)) in got.iter().zip(&source).enumerate() {
                    assert_eq!(a, b, "{file}, paragraph {}", i + 1);
                }
                assert_eq!(got.len(), source.len(), "{file}");
            }
        }
        let scan = std::fs::read(fixtures.join("documents/scan.pdf")).unwrap();
        assert_eq!(text(&scan, "scan.pdf"), Err(DocumentError::NoText(Kind::Pdf)));
        let cp1251 = std::fs::read(fixtures.join("documents/webpulse.kz.ru.cp1251.txt")).unwrap();
        let utf8 = std::fs::read_to_string(fixtures.join("webpulse.kz.ru.txt")).unwrap();
        assert_eq!(text(&cp1251, "webpulse.txt"), Ok((Kind::Text, utf8.replace("\r\n", "\n"))));
    }
}
