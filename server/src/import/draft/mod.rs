//! Writes the draft site policy file (the format of `docs/site-policy.md`).
//!
//! Every value the policy gave carries a comment above it: the clause and the quoted
//! sentence. Every value it did not give is a string starting with `TODO:` that says what to
//! put there, so that `kelisim site check` names each one until a person has filled it in.
//! Apart from TODOs the draft is a valid file: the tests check that the only errors
//! `site check` reports on it are TODOs.
//!
//! Comments and TODOs are in the reader's language (the dashboard's; English for the CLI),
//! each a kk, ru, en triple; the quotes stay in the policy's own words.

use super::categories::{CategoryId, Texts};
use super::extract::Finding;
use super::rules::Kind;
use super::Import;
use kelisim_shared::lang::Lang;
use std::collections::HashMap;

mod category;

pub struct Draft {
    pub text: String,
    /// The fields left as TODO, e.g. `operator.bin`, `category.necessary.retention.kk`.
    pub todos: Vec<String>,
}

/// A value in kk, ru, en; `None` where the policy does not give it in that language.
type Localized = [Option<String>; 3];

fn idx(l: Lang) -> usize {
    match l {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    }
}

/// The name of `l` as the reader's sentences use it: "(a policy in) Russian", «(на) русском
/// (языке)», «орыс (тілінде)».
fn language_name(l: Lang, reader: Lang) -> &'static str {
    const NAMES: [Texts; 3] =
        [["қазақ", "орыс", "ағылшын"], ["казахском", "русском", "английском"], ["Kazakh", "Russian", "English"]];
    NAMES[idx(reader)][idx(l)]
}

/// `template` with each `{n}` replaced by `args[n]`. Only the template is scanned, so a quote
/// holding braces comes out as it is.
pub(super) fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| Some((after[..close].parse::<usize>().ok()?, close))) {
            Some((n, close)) => {
                out.push_str(args[n]);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn owned(t: Texts) -> Localized {
    t.map(|s| Some(s.to_owned()))
}

fn capitalized(t: &Localized) -> Localized {
    t.clone().map(|s| {
        s.map(|s| {
            let mut c = s.chars();
            c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
    })
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Writer<'a> {
    imp: &'a Import,
    out: String,
    todos: Vec<String>,
    /// The language of the comments and of what a TODO says to write (kk, ru, en: the order
    /// of every `Texts`).
    reader: Lang,
}

impl<'a> Writer<'a> {
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// A comment, wrapped at 100 columns.
    fn comment(&mut self, text: &str) {
        let mut line = String::from("#");
        for word in text.split(' ') {
            if line.chars().count() + 1 + word.chars().count() > 100 && line.len() > 1 {
                self.line(&line);
                line = String::from("#");
            }
            line.push(' ');
            line.push_str(word);
        }
        self.line(&line);
    }

    /// `t` (kk, ru, en) in the reader's language.
    fn said(&self, t: Texts) -> &'static str {
        t[idx(self.reader)]
    }

    /// A comment in the reader's language.
    fn note(&mut self, t: Texts) {
        let said = self.said(t);
        self.comment(said);
    }

    /// A comment in the reader's language, its `{0}`, `{1}`… filled with `args` (`fill`): each
    /// language puts the values where its sentence needs them.
    fn note_with(&mut self, t: Texts, args: &[&str]) {
        let said = fill(self.said(t), args);
        self.comment(&said);
    }

    fn cite(&self, f: &Finding) -> String {
        self.imp.cite(f)
    }

    /// The value in the policy's own language if it has one, else in any language it has.
    fn known(&self, value: &Localized) -> Option<(usize, String)> {
        let first = idx(self.imp.language());
        value[first]
            .clone()
            .map(|v| (first, v))
            .or_else(|| value.iter().enumerate().find_map(|(i, v)| v.as_ref().map(|v| (i, v.clone()))))
    }

    fn todo(&mut self, field: String, what: Texts) -> String {
        let said = self.said(what);
        self.todo_said(field, said)
    }

    fn todo_said(&mut self, field: String, said: &str) -> String {
        self.todos.push(field);
        format!("TODO: {said}")
    }

    /// `what` (kk, ru, en) with "in `l`", in the reader's language.
    fn what_in(&self, what: Texts, l: Lang) -> String {
        // Set off by a dash in kk and ru: a phrase there may end in its verb.
        const IN: [[&str; 3]; 3] = [
            [" — қазақ тілінде", " — орыс тілінде", " — ағылшын тілінде"],
            [" — на казахском", " — на русском", " — на английском"],
            [" in Kazakh", " in Russian", " in English"],
        ];
        format!("{}{}", what[idx(self.reader)], IN[idx(self.reader)][idx(l)])
    }

    /// `{ kk = "…", ru = "…", en = "…" }` for the draft's languages; a missing language is a
    /// TODO that shows the text in a language the policy did give.
    fn localized(&mut self, field: &str, value: &Localized, what: Texts) -> String {
        let mut parts = Vec::new();
        for l in self.imp.languages.clone() {
            let text = self.text_in(l, field, value, what);
            parts.push(format!("{} = {}", l.code(), q(&text)));
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// The text in `l`, or a TODO that shows the text in a language the policy did give.
    fn text_in(&mut self, l: Lang, field: &str, value: &Localized, what: Texts) -> String {
        match (&value[idx(l)], self.known(value)) {
            (Some(v), _) => v.clone(),
            (None, Some((i, v))) => {
                let from = ["kk", "ru", "en"][i];
                let said = format!("{} ({from}: {v})", self.what_in(what, l));
                self.todo_said(format!("{field}.{}", l.code()), &said)
            }
            (None, None) => self.todo(format!("{field}.{}", l.code()), what),
        }
    }

    /// A `[table]` of one localized text or list per language.
    fn localized_table(&mut self, header: &str, field: &str, items: &[Localized], what: Texts) {
        self.line(&format!("[{header}]"));
        for l in self.imp.languages.clone() {
            let mut values = Vec::new();
            for (n, item) in items.iter().enumerate() {
                let text = match &item[idx(l)] {
                    Some(v) => v.clone(),
                    None => {
                        let said = self.what_in(what, l);
                        self.todo_said(format!("{field}.{}[{n}]", l.code()), &said)
                    }
                };
                values.push(q(&text));
            }
            if values.is_empty() {
                let t = self.todo(format!("{field}.{}", l.code()), what);
                values.push(q(&t));
            }
            self.line(&format!("{} = [{}]", l.code(), values.join(", ")));
        }
    }

    fn text_table(&mut self, header: &str, field: &str, value: &Localized, what: Texts) {
        self.line(&format!("[{header}]"));
        for l in self.imp.languages.clone() {
            let text = self.text_in(l, field, value, what);
            self.line(&format!("{} = {}", l.code(), q(&text)));
        }
    }
}

pub fn write(imp: &Import, reader: Lang) -> Draft {
    let mut w = Writer { imp, out: String::new(), todos: Vec::new(), reader };
    let mut body = Writer { imp, out: String::new(), todos: Vec::new(), reader };
    site(&mut body);
    operator(&mut body);
    let by_sentence = purposes_by_sentence(imp);
    for &c in imp.categories() {
        category(&mut body, c, &by_sentence);
    }
    header(&mut w, body.todos.len());
    w.out.push('\n');
    w.out.push_str(&body.out);
    Draft { text: w.out, todos: body.todos }
}

fn header(w: &mut Writer, todos: usize) {
    let imp = w.imp;
    let language = language_name(imp.language(), w.reader);
    w.note_with(
        [
            "`{0}` сайты үшін сайт саясаты файлының жобасы: оны `kelisim policy import` командасы {1} бойынша дайындады (саясат {2} тілінде). Пішімі: docs/site-policy.md.",
            "Черновик файла политики сайта `{0}`, подготовленный командой `kelisim policy import` из {1} (политика на {2} языке). Формат: docs/site-policy.md.",
            "Draft site policy file for `{0}`, made by `kelisim policy import` from {1} (a policy in {2}). Format: docs/site-policy.md.",
        ],
        &[&imp.site, &imp.source, language],
    );
    w.line("#");
    w.note_with(
        [
            "Төмендегі әр мәліметтің қасында ол алынған тармақ пен сол жерден дәйексөз келтірілген. Ештеңе ойдан шығарылмаған: саясатта айтылмаған мәннің орнында TODO тұр және адам әрбір TODO белгісін ауыстырмайынша `kelisim site check` бұл файлды қабылдамайды (қалғаны: {0}). «Кіріктірілген» деп белгіленген мәтіндер саясаттың сөзі емес, Kelisim ұсынатын бейтарап тұжырымдар: санаттардың атаулары мен сипаттамалары, сондай-ақ импорт құралы танитын деректер мен мақсаттардың kk/ru/en атаулары. Жарияламас бұрын жобаны түгел оқып шығыңыз.",
            "Каждый факт ниже приводится со ссылкой на пункт, из которого он взят, и с цитатой. Ничего не придумано: где политика молчит, вместо значения стоит TODO, и `kelisim site check` не примет этот файл, пока человек не заменит каждое TODO (осталось: {0}). Тексты с пометкой «встроенное» — нейтральные формулировки Kelisim, а не слова политики: названия и описания категорий, а также названия данных и целей на kk/ru/en, которые распознаёт импорт. Прочитайте черновик целиком, прежде чем публиковать его.",
            "Each fact below cites the clause it came from and quotes it. Nothing is invented: where the policy is silent the value is a TODO, and `kelisim site check` refuses this file until a person has replaced every TODO ({0} left). Texts marked \"built-in\" are Kelisim's neutral wording, not the policy's: category titles and descriptions, and the kk/ru/en names of the data and purposes the importer recognises. Read the whole draft before publishing it.",
        ],
        &[&todos.to_string()],
    );
    for f in imp.findings.iter().filter(|f| f.warning.is_some()) {
        w.line("#");
        let title = w.said(super::warning_title(f.kind)).to_uppercase();
        let warning = f.warning.map_or("", |t| w.said(t));
        w.note_with(
            ["ЕСКЕРТУ — {0}: {1} {2}", "ВНИМАНИЕ — {0}: {1} {2}", "WARNING, {0}: {1} {2}"],
            &[&title, &w.cite(f), warning],
        );
    }
    let withdrawals: Vec<String> = imp.of(Kind::Withdrawal).map(|f| w.cite(f)).collect();
    // The button the widget shows on every page, by its label in the reader's language.
    let button = w.said(kelisim_shared::strings::REOPEN);
    w.line("#");
    if withdrawals.is_empty() {
        w.note_with(
            [
                "Саясатта пайдаланушы келісімін қалай кері қайтарып алатыны айтылмаған (8-бап 2-тармақ). Kelisim ұсынатын «{0}» түймесі мен JS API арқылы келуші кез келген бетте келісімін кері қайтарып ала алады — мұны саясатқа жазыңыз.",
                "В политике не сказано, как пользователь может отозвать согласие (ст. 8 п. 2). Кнопка «{0}» и JS API Kelisim позволяют посетителю отозвать согласие на любой странице — напишите об этом в политике.",
                "The policy does not say how a user withdraws consent (Art. 8 p.2). Kelisim's \"{0}\" button and its JS API let visitors withdraw on every page; say so in the policy.",
            ],
            &[button],
        );
    } else {
        w.note_with(
            [
                "Пайдаланушы келісімін қалай кері қайтарып алатыны немесе өзгертетіні саясатта былай айтылған (8-бап 2-тармақ; Kelisim әр бетке «{0}» түймесін қосады):",
                "Как, согласно политике, пользователь отзывает или меняет согласие (ст. 8 п. 2; Kelisim добавляет на каждую страницу кнопку «{0}»):",
                "How the policy says a user withdraws or changes consent (Art. 8 p.2; Kelisim adds a \"{0}\" button on every page):",
            ],
            &[button],
        );
        for c in withdrawals {
            w.comment(&format!("  {c}"));
        }
    }
}

fn site(w: &mut Writer) {
    let imp = w.imp;
    w.line(&format!("id = {}", q(&imp.site)));
    let mut hosts: Vec<&Finding> = Vec::new();
    for f in imp.of(Kind::Site) {
        if !hosts.iter().any(|h| h.value == f.value) {
            hosts.push(f);
        }
    }
    match hosts.first() {
        Some(f) => {
            w.comment(&w.cite(f));
            let shown = f.texts[2].clone().unwrap_or_else(|| f.value.clone());
            w.line(&format!("name = {}", q(shown.strip_prefix("www.").unwrap_or(&shown))));
        }
        None => {
            w.note([
                "Саясатта сайттың мекенжайы аталмаған.",
                "Политика не называет адрес сайта.",
                "The policy does not name the site's address.",
            ]);
            let t = w.todo(
                "name".into(),
                [
                    "келушілерге таныс сайт атауы",
                    "название сайта, под которым его знают посетители",
                    "the site's name as visitors know it",
                ],
            );
            w.line(&format!("name = {}", q(&t)));
        }
    }
    if hosts.is_empty() {
        let t = w.todo(
            "origins".into(),
            [
                "сайттың мекенжайы (origin), мысалы, https://example.kz",
                "адрес сайта (origin), например https://example.kz",
                "the site's origin, e.g. https://example.kz",
            ],
        );
        w.line(&format!("origins = [{}]", q(&t)));
    } else {
        w.note([
            "Саясатта аталған сайт мекенжайлары (тек домен берілген жерде https:// схемасы қосылды; сайттың www. нұсқасы болса, оны да қосыңыз):",
            "Адреса сайта, которые называет политика (где указан только домен, подставлена схема https://; если у сайта есть вариант с www., добавьте и его):",
            "The site's addresses the policy names (the scheme https:// is assumed where it gives a bare domain; add the www. variant if the site has one):",
        ]);
        for f in &hosts {
            w.comment(&format!("  {} — {}", f.value, imp.place(f).cite(imp.language())));
        }
        let origins: Vec<String> = hosts.iter().map(|f| q(&format!("https://{}", f.value))).collect();
        w.line(&format!("origins = [{}]", origins.join(", ")));
    }
    match imp.of(Kind::PolicyUrl).next() {
        Some(f) => {
            w.comment(&w.cite(f));
            if f.id == "policy_url_without_scheme" {
                w.note([
                    "Саясатта мекенжай схемасыз берілген: https:// қосылды.",
                    "В политике адрес указан без схемы: подставлена схема https://.",
                    "The policy gives the address without a scheme: https:// is assumed.",
                ]);
            }
            w.line(&format!("policy_url = {}", q(&f.value)));
        }
        None => {
            w.note([
                "Саясатта оның өз мекенжайы көрсетілмеген.",
                "Политика не указывает собственный адрес.",
                "The policy does not give its own address.",
            ]);
            let t = w.todo(
                "policy_url".into(),
                [
                    "осы саясаттың сайттағы мекенжайы",
                    "адрес этой политики на сайте",
                    "the address of this policy on the site",
                ],
            );
            w.line(&format!("policy_url = {}", q(&t)));
        }
    }
    let date = imp.of(Kind::Date).find(|f| f.id == "updated").or_else(|| imp.of(Kind::Date).next());
    match (date, imp.of(Kind::Version).next()) {
        (Some(f), _) => {
            w.comment(&w.cite(f));
            w.line(&format!("policy_version = {}", q(&f.value)));
        }
        (None, Some(f)) => {
            w.comment(&w.cite(f));
            w.line(&format!("policy_version = {}", q(&format!("ред. {}", f.value))));
        }
        (None, None) => {
            w.note([
                "Саясатта күні де, нұсқасы да жоқ.",
                "В политике нет ни даты, ни версии.",
                "The policy carries no date or version.",
            ]);
            let t = w.todo(
                "policy_version".into(),
                [
                    "саясат мәтінінің күні немесе нұсқасы, мысалы, 2025-01-15",
                    "дата или версия текста политики, например 2025-01-15",
                    "the date or version of the policy text, e.g. 2025-01-15",
                ],
            );
            w.line(&format!("policy_version = {}", q(&t)));
        }
    }
    w.note_with(
        [
            "Саясат {0} тілінде жазылған, сондықтан бұл тіл бірінші тұр (әдепкі бойынша); қазақ және орыс тілдері міндетті (Тілдер туралы заңның 21-бабы), ағылшын тілі — қалау бойынша.",
            "Политика написана на {0} языке, поэтому он идёт первым (по умолчанию); казахский и русский обязательны (ст. 21 Закона о языках), английский — по желанию.",
            "The policy is in {0}, so it comes first (the default); Kazakh and Russian are both required (Law on Languages Art. 21), English is optional.",
        ],
        &[language_name(imp.language(), w.reader)],
    );
    let langs: Vec<String> = imp.languages.iter().map(|l| q(l.code())).collect();
    w.line(&format!("languages = [{}]", langs.join(", ")));
    w.note([
        "Бұл саясаттың сөздері емес, Kelisim баптаулары: келушінің шешімі баннер қайта сұрағанға дейін қанша уақыт күшінде болады, келісімдер журналы келушілердің IP мекенжайларын қалай және қанша уақыт сақтайды (кемінде consent_days, 25-бап 2-тармақ 5) тармақша).",
        "Настройки Kelisim, а не слова политики: сколько действует решение посетителя, прежде чем баннер спросит снова, а также как журнал согласий хранит IP-адреса посетителей и как долго (не меньше consent_days, ст. 25 п. 2 подп. 5)).",
        "Kelisim's settings, not the policy's words: how long a decision lasts before the banner asks again, and how the consent log keeps visitors' IP addresses and for how long (at least consent_days, Art. 25 p.2(5)).",
    ]);
    w.line("consent_days = 365");
    w.line("ip_storage = \"truncated\"");
    w.line("retention_days = 1825");
}

fn operator(w: &mut Writer) {
    let imp = w.imp;
    w.line("");
    w.line("[operator]");
    let names: Vec<&Finding> = imp.of(Kind::OperatorName).collect();
    let chosen = names.iter().find(|f| f.id == "operator_presented").or(names.first()).copied();
    match chosen {
        Some(f) => {
            w.comment(&w.cite(f));
            let mut others: Vec<String> = Vec::new();
            for o in &names {
                if o.value != f.value && !others.iter().any(|x| x.starts_with(&o.value)) {
                    others.push(format!("{} ({})", o.value, imp.place(o).cite(imp.language())));
                }
            }
            if !others.is_empty() {
                w.note_with(
                    [
                        "Саясатта сондай-ақ {0} аталады: тіркелген оператор қайсысы екенін нақтылаңыз.",
                        "Политика называет также {0}: уточните, кто из них зарегистрированный оператор.",
                        "The policy also names {0}: confirm which is the registered operator.",
                    ],
                    &[&others.join(", ")],
                );
            }
            w.note([
                "Ұйымдық-құқықтық нысаны аударылды (ТОО = ЖШС = LLP, АО = АҚ = JSC, ИП = ЖК), атауы саясатта жазылған күйінде қалды.",
                "Организационно-правовая форма переведена (ТОО = ЖШС = LLP, АО = АҚ = JSC, ИП = ЖК), название оставлено как в политике.",
                "The legal form is translated (ТОО = ЖШС = LLP, АО = АҚ = JSC, ИП = ЖК); the name is kept as written.",
            ]);
            let name = w.localized(
                "operator.name",
                &f.texts,
                ["оператордың заңды атауы", "юридическое название оператора", "the operator's legal name"],
            );
            w.line(&format!("name = {name}"));
        }
        None => {
            w.note([
                "Саясатта оператор ретінде ешбір заңды тұлға (ЖШС, АҚ, ЖК…) аталмаған.",
                "Политика не называет оператором ни одного юридического лица (ТОО, АО, ИП…).",
                "The policy names no legal entity (ТОО, АО, ИП…) as the operator.",
            ]);
            let name = w.localized(
                "operator.name",
                &[None, None, None],
                [
                    "оператордың заңды атауы, мысалы, «…» ЖШС / ТОО «…»",
                    "юридическое название оператора, например ТОО «…» / «…» ЖШС",
                    "the operator's legal name, e.g. ТОО «…» / «…» ЖШС",
                ],
            );
            w.line(&format!("name = {name}"));
        }
    }
    let bins: Vec<&Finding> = imp.of(Kind::Bin).collect();
    match bins.iter().find(|f| f.warning.is_none()) {
        Some(f) => {
            w.comment(&w.cite(f));
            w.line(&format!("bin = {}", q(&f.value)));
        }
        None => {
            for f in &bins {
                w.note_with(
                    [
                        "{0} — БСН бақылау цифры бойынша тексеруден өтпейді.",
                        "{0} — контрольная цифра БИН не сходится.",
                        "{0} — fails the BIN check digit.",
                    ],
                    &[&w.cite(f)],
                );
            }
            w.note([
                "Саясатта жарамды БСН немесе ЖСН жоқ, ал 8-бап 4-тармақ оны көрсетуді талап етеді.",
                "В политике нет действительного БИН или ИИН, а ст. 8 п. 4 требует его указать.",
                "The policy gives no valid BIN or IIN; Art. 8 p.4 asks for it.",
            ]);
            let t = w.todo(
                "operator.bin".into(),
                [
                    "оператордың БСН-і (12 таңба); жоқ болса, бұл жолды өшіріңіз",
                    "БИН оператора (12 цифр); если его нет, удалите эту строку",
                    "the operator's BIN (12 digits); delete this line if it has none",
                ],
            );
            w.line(&format!("bin = {}", q(&t)));
        }
    }
    let address = imp.of(Kind::Address).next();
    let phone = imp.of(Kind::Phone).next();
    if let Some(f) = address {
        w.comment(&w.cite(f));
        let a = w.localized("operator.address", &f.texts, ["мекенжайы", "адрес", "the address"]);
        w.line(&format!("address = {a}"));
    } else {
        w.note([
            "Саясатта пошталық мекенжай көрсетілмеген.",
            "Политика не указывает почтовый адрес.",
            "The policy gives no postal address.",
        ]);
    }
    let no_email: Texts =
        ["Саясатта e-mail көрсетілмеген.", "Политика не указывает e-mail.", "The policy gives no e-mail."];
    let no_phone: Texts =
        ["Саясатта телефон көрсетілмеген.", "Политика не указывает телефон.", "The policy gives no phone."];
    for (kind, key, none) in [(Kind::Email, "email", no_email), (Kind::Phone, "phone", no_phone)] {
        let all: Vec<&Finding> = imp.of(kind).collect();
        match all.first() {
            Some(f) => {
                w.comment(&w.cite(f));
                let others: Vec<&str> = all
                    .iter()
                    .map(|o| o.value.as_str())
                    .filter(|v| *v != f.value)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if !others.is_empty() {
                    w.note_with(
                        ["Саясатта тағы: {0}.", "Ещё в политике: {0}.", "Also in the policy: {0}."],
                        &[&others.join(", ")],
                    );
                }
                w.line(&format!("{key} = {}", q(&f.value)));
            }
            None if kind == Kind::Email && address.is_none() && phone.is_none() => {
                w.note([
                    "Саясатта e-mail да, телефон да, мекенжай да жоқ, ал келуші келісімін кері қайтарып алу үшін операторға хабарласа алуы керек (8-бап 2-тармақ).",
                    "В политике нет ни e-mail, ни телефона, ни адреса, а посетитель должен иметь возможность связаться с оператором, чтобы отозвать согласие (ст. 8 п. 2).",
                    "The policy gives no e-mail, phone or address, and a visitor must be able to reach the operator to withdraw consent (Art. 8 p.2).",
                ]);
                let t = w.todo(
                    "operator.email".into(),
                    [
                        "дербес деректер бойынша өтініштерге арналған e-mail",
                        "e-mail для обращений по персональным данным",
                        "a contact e-mail for personal data requests",
                    ],
                );
                w.line(&format!("email = {}", q(&t)));
            }
            None => w.note(none),
        }
    }
    w.note([
        "Саясатта дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға аталмаған; ондай тұлға болса, `responsible_person` өрісін қосыңыз (25-1-бап).",
        "Политика не называет лицо, ответственное за организацию обработки персональных данных; если такое лицо есть, добавьте `responsible_person` (ст. 25-1).",
        "The policy does not name the person responsible for personal data; add `responsible_person` if there is one (Art. 25-1).",
    ]);
    match imp.of(Kind::Storage).next() {
        Some(f) => {
            w.comment(&w.cite(f));
            w.line(&format!("storage_country = {}", q(&f.value)));
        }
        None => {
            w.note([
                "Саясатта дербес деректер базасы қай жерде сақталатыны айтылмаған (12-бап 2-тармақ оны Қазақстанда сақтауды талап етеді).",
                "В политике не сказано, где хранится база персональных данных (ст. 12 п. 2 требует хранить её в Казахстане).",
                "The policy does not say where the personal data database is kept (Art. 12 p.2 asks for Kazakhstan).",
            ]);
            let t = w.todo(
                "operator.storage_country".into(),
                [
                    "дерекқор сақталатын елдің ISO коды, мысалы, KZ",
                    "код ISO страны, где хранится база данных, например KZ",
                    "ISO code of the country where the database is kept, e.g. KZ",
                ],
            );
            w.line(&format!("storage_country = {}", q(&t)));
        }
    }
}

/// For each sentence, the purpose findings in it: a recipient or pixel takes its purpose and
/// category from the sentence it stands in.
fn purposes_by_sentence(imp: &Import) -> HashMap<usize, Vec<&Finding>> {
    let mut map: HashMap<usize, Vec<&Finding>> = HashMap::new();
    for f in imp.of(Kind::Purpose) {
        map.entry(f.sentence).or_default().push(f);
    }
    map
}

/// Findings of one kind, the first of each id, with every place it was seen.
fn grouped<'f>(found: impl Iterator<Item = &'f Finding>) -> Vec<(&'f Finding, Vec<&'f Finding>)> {
    let mut groups: Vec<(&Finding, Vec<&Finding>)> = Vec::new();
    let mut at: HashMap<(&str, &str), usize> = HashMap::new();
    for f in found {
        match at.get(&(f.id, f.value.as_str())) {
            Some(&i) => groups[i].1.push(f),
            None => {
                at.insert((f.id, f.value.as_str()), groups.len());
                groups.push((f, vec![f]));
            }
        }
    }
    groups
}

fn cite_all(w: &Writer, label: &str, seen: &[&Finding]) -> String {
    let mut cites: Vec<String> = seen.iter().take(3).map(|f| w.cite(f)).collect();
    if seen.len() > 3 {
        cites.push(fill(w.said(["тағы {0}", "и ещё {0}", "and {0} more"]), &[&(seen.len() - 3).to_string()]));
    }
    format!("{label} — {}", cites.join("; "))
}

fn category(w: &mut Writer, c: CategoryId, by_sentence: &HashMap<usize, Vec<&Finding>>) {
    category::write(w, c, by_sentence)
}
