//! One `[[category]]` of the draft: its texts, data, purposes, retention, recipients and
//! services, each with the clauses it came from.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use super::{capitalized, cite_all, grouped, idx, owned, q, Localized, Writer};
use crate::import::categories::CategoryId;
use crate::import::extract::Finding;
use crate::import::rules::{Kind, SERVICES};
use kelisim_shared::lang::Lang;
use std::collections::{BTreeSet, HashMap};

/// The category a recipient belongs to: that of the first purpose its sentence names, if the
/// draft proposes it, else `necessary`.
pub(super) fn category_of(w: &Writer, f: &Finding, by_sentence: &HashMap<usize, Vec<&Finding>>) -> CategoryId {
    by_sentence
        .get(&f.sentence)
        .and_then(|ps| ps.iter().filter_map(|p| p.category).find(|c| w.imp.categories().contains(c)))
        .unwrap_or(CategoryId::Necessary)
}

/// Findings with the clauses each was found in (`grouped`).
type Grouped<'a> = Vec<(&'a Finding, Vec<&'a Finding>)>;

/// What the policy says that belongs to one category.
struct Sources<'a> {
    purposes: Grouped<'a>,
    /// Technologies (counters, pixels…) named in no sentence that gives a purpose.
    technologies: Vec<&'a Finding>,
    services: Grouped<'a>,
    cookie_names: Grouped<'a>,
    /// Recipients whose sentence names a purpose of this category (`category_of`).
    recipients: Grouped<'a>,
}

impl<'a> Sources<'a> {
    fn of(w: &Writer<'a>, c: CategoryId, by_sentence: &HashMap<usize, Vec<&Finding>>) -> Sources<'a> {
        let imp = w.imp;
        Sources {
            purposes: grouped(imp.of(Kind::Purpose).filter(|f| f.category == Some(c))),
            technologies: imp
                .of(Kind::Technology)
                .filter(|f| f.category == Some(c) && !by_sentence.contains_key(&f.sentence))
                .collect(),
            services: grouped(imp.of(Kind::Service).filter(|f| f.category == Some(c))),
            cookie_names: grouped(imp.of(Kind::CookieName).filter(|f| f.category == Some(c))),
            recipients: grouped(imp.of(Kind::ThirdParty).filter(|f| category_of(w, f, by_sentence) == c)),
        }
    }
}

/// Writes the `[[category]]` of `c`, field by field in the file's order, then its recipients,
/// its services and, under `necessary`, what concerns the whole policy.
pub(super) fn write(w: &mut Writer, c: CategoryId, by_sentence: &HashMap<usize, Vec<&Finding>>) {
    let field = format!("category.{}", c.id());
    let found = Sources::of(w, c, by_sentence);
    head(w, c, &field, &found);
    cookies(w, c, &found);
    signals(w, c);
    cross_border(w, c, &found.services, &found.recipients);
    description(w, c, &field);
    data(w, c, &field);
    purposes(w, &field, &found);
    retention(w, &field);
    recipients(w, &field, &found.recipients, by_sentence);
    services_of(w, &field, &found.services, found.recipients.len());
    if c == CategoryId::Necessary {
        whole_policy_notes(w, c);
    }
}

/// The table's header, id, `required` or why the category is proposed, and its title.
fn head(w: &mut Writer, c: CategoryId, field: &str, found: &Sources) {
    w.line("");
    w.line("[[category]]");
    w.line(&format!("id = {}", q(c.id())));
    if c == CategoryId::Necessary {
        w.line("required = true");
        w.note([
            "Әрдайым ұсынылады: сайт онсыз жұмыс істей алмайтын нәрселер және Kelisim келісімді сақтайтын өз cookie файлы.",
            "Предлагается всегда: то, без чего сайт не работает, и собственный файл cookie Kelisim, где хранится согласие.",
            "Always proposed: what the site cannot work without, and Kelisim's own consent cookie.",
        ]);
    } else {
        let why = found
            .purposes
            .first()
            .map(|p| p.0)
            .or(found.technologies.first().copied())
            .or(found.services.first().map(|s| s.0))
            .or(found.cookie_names.first().map(|s| s.0));
        if let Some(f) = why {
            w.note_with(
                [
                    "Санат саясаттың мына жеріне сүйеніп ұсынылды: {0}",
                    "Категория предложена на основании этого места политики: {0}",
                    "Proposed from {0}",
                ],
                &[&w.cite(f)],
            );
        }
    }
    w.note(["Кіріктірілген атау.", "Встроенное название.", "Built-in title."]);
    let title =
        w.localized(&format!("{field}.title"), &owned(c.title()), ["санат атауы", "название категории", "the title"]);
    w.line(&format!("title = {title}"));
}

/// The cookie names: Kelisim's own under `necessary`, those the policy names, and those of
/// the known services it names.
fn cookies(w: &mut Writer, c: CategoryId, found: &Sources) {
    let necessary = c == CategoryId::Necessary;
    let mut cookies: Vec<String> = Vec::new();
    if necessary {
        cookies.push("kelisim".into());
        w.note([
            "`kelisim` — Kelisim келісімді сақтайтын өз cookie файлы.",
            "`kelisim` — собственный файл cookie Kelisim, в котором хранится согласие.",
            "`kelisim` is Kelisim's own consent cookie.",
        ]);
    }
    for (f, seen) in &found.cookie_names {
        w.comment(&cite_all(w, &format!("`{}`", f.value), seen));
        cookies.push(f.value.clone());
    }
    for (f, _) in &found.services {
        // A catalogued service brings its own cookies (`services_of`).
        if kelisim_shared::catalogue::get(f.id).is_some() {
            continue;
        }
        if let Some(svc) = SERVICES.iter().find(|s| s.id == f.id) {
            cookies
                .extend(svc.cookies.iter().map(|s| s.to_string()).filter(|s| !cookies.contains(s)).collect::<Vec<_>>());
        }
    }
    if cookies.len() == usize::from(necessary) {
        w.note([
            "Саясатта бұл санаттың бірде-бір cookie файлы аталмаған: нақты атауларын жазыңыз (мысалы, `_ym_*`), сонда келуші бас тартқанда Kelisim оларды өшіре алады (W5).",
            "Политика не называет ни одного файла cookie этой категории: перечислите настоящие имена (например, `_ym_*`), чтобы Kelisim мог удалить их, когда посетитель откажется (W5).",
            "The policy names no cookie of this category: list the real names (e.g. `_ym_*`) so that Kelisim can delete them when a visitor says no (W5).",
        ]);
    }
    let cookies: Vec<String> = cookies.iter().map(|s| q(s)).collect();
    w.line(&format!("cookies = [{}]", cookies.join(", ")));
}

/// The category's Consent Mode signals, and whether GPC keeps it off.
fn signals(w: &mut Writer, c: CategoryId) {
    let modes: Vec<String> = c.consent_mode().iter().map(|m| q(m)).collect();
    w.line(&format!("consent_mode = [{}]", modes.join(", ")));
    if c.gpc_off() {
        w.line("gpc_off = true");
    }
}

/// The built-in description.
fn description(w: &mut Writer, c: CategoryId, field: &str) {
    w.line("");
    w.note([
        "Кіріктірілген сипаттама: онда сайттың бұл санатпен не істейтіні емес, санаттың не екені айтылады.",
        "Встроенное описание: в нём сказано, что это за категория, а не что с ней делает сайт.",
        "Built-in description: it says what the category is, not what the site does with it.",
    ]);
    w.text_table(
        "category.description",
        &format!("{field}.description"),
        &owned(c.description()),
        ["сипаттамасы", "описание", "the description"],
    );
}

/// The data collected: cited under `necessary` (the policy does not say which purpose uses
/// which), proposed to every category.
fn data(w: &mut Writer, c: CategoryId, field: &str) {
    let imp = w.imp;
    w.line("");
    let data = grouped(imp.of(Kind::Data));
    if data.is_empty() {
        w.note([
            "TODO: саясатта сайт беттерін қарау кезінде жиналатын деректер тізбеленбеген; оларды келушілер үшін осында тізіп жазыңыз.",
            "TODO: политика не перечисляет данные, которые собираются при посещении страниц сайта; перечислите их здесь для посетителей.",
            "TODO: the policy does not list the data collected when its pages are visited; list it here for visitors.",
        ]);
    } else if c == CategoryId::Necessary {
        if imp.categories().len() > 1 {
            w.note([
                "Саясат бойынша жиналатын деректер; қай мақсатқа қай деректер қолданылатыны айтылмаған, сондықтан әр санаттан ол жинамайтын деректерді өшіріңіз:",
                "Данные, которые, согласно политике, собираются; в ней не сказано, для какой цели какие данные используются, поэтому удалите из каждой категории то, чего эта категория не собирает:",
                "Data the policy says is collected; it does not say which purpose uses which, so delete from each category what it does not collect:",
            ]);
        } else {
            w.note([
                "Саясат бойынша жиналатын деректер:",
                "Данные, которые, согласно политике, собираются:",
                "Data the policy says is collected:",
            ]);
        }
        for (f, seen) in &data {
            w.comment(&cite_all(w, &f.value, seen));
        }
    } else {
        w.note([
            "Саясат бойынша жиналатын деректер (дәйексөздері `necessary` санатында): бұл санат жинамайтындарын өшіріңіз.",
            "Данные, которые, согласно политике, собираются (цитаты — в категории `necessary`): удалите то, чего эта категория не собирает.",
            "The data the policy says is collected (cited under `necessary`): delete what this category does not collect.",
        ]);
    }
    let items: Vec<Localized> = data.iter().map(|(f, _)| f.texts.clone()).collect();
    w.localized_table(
        "category.data",
        &format!("{field}.data"),
        &items,
        [
            "бұл санатта қандай деректер жиналады",
            "какие данные собираются в этой категории",
            "what data this category collects",
        ],
    );
}

/// The purposes, each cited; without any, the technologies named without a purpose.
fn purposes(w: &mut Writer, field: &str, found: &Sources) {
    w.line("");
    if found.purposes.is_empty() {
        for f in &found.technologies {
            // In the reader's words where the rules have them; the CLI's English keeps the policy's.
            let named = match w.reader {
                Lang::En => None,
                l => f.texts[idx(l)].as_deref(),
            };
            w.note_with(
                [
                    "Саясатта {0} аталады, бірақ не үшін екені айтылмаған: {1}",
                    "Политика упоминает {0}, но не поясняет зачем: {1}",
                    "The policy names {0} without saying what for: {1}",
                ],
                &[named.unwrap_or(&f.value), &w.cite(f)],
            );
        }
        w.note([
            "Саясатта бұл санаттың бірде-бір мақсаты аталмаған.",
            "Политика не называет ни одной цели для этой категории.",
            "The policy names no purpose for this category.",
        ]);
    }
    for (f, seen) in &found.purposes {
        w.comment(&cite_all(w, &f.value, seen));
    }
    let items: Vec<Localized> = found.purposes.iter().map(|(f, _)| f.texts.clone()).collect();
    w.localized_table(
        "category.purposes",
        &format!("{field}.purposes"),
        &items,
        ["бұл деректер не үшін жиналады", "зачем собираются эти данные", "why this data is collected"],
    );
}

/// How long the data is kept: the policy's first term, or a TODO.
fn retention(w: &mut Writer, field: &str) {
    let imp = w.imp;
    w.line("");
    let retention = imp.of(Kind::Retention).next();
    match retention {
        Some(f) => {
            w.comment(&w.cite(f));
            if f.id == "as_the_law_provides" {
                w.note([
                    "Саясатта нақты мерзім аталмаған, тек заңға сілтеме бар: мерзім болса, оны келушілер үшін осында жазыңыз.",
                    "Политика не называет конкретного срока, только ссылается на закон: если срок есть, укажите его здесь для посетителей.",
                    "The policy names no concrete term, only the law: if there is one, write it here for visitors.",
                ]);
            }
        }
        None => w.note([
            "TODO: саясатта деректердің қанша уақыт сақталатыны айтылмаған; мерзімді келушілер үшін жазыңыз (мысалы, «2 жыл», «сеанс аяқталғанша»), ал өзіңізге арналған ескертпелерді түсініктемеде қалдырыңыз.",
            "TODO: в политике не сказано, как долго хранятся данные; напишите срок для посетителей (например, «2 года», «до конца сеанса»), а пометки для себя оставьте в комментарии.",
            "TODO: the policy does not say how long the data is kept; write the term for visitors (e.g. \"2 years\", \"until the session ends\"), and keep any note for yourself in a comment.",
        ]),
    }
    let value = retention.map_or([None, None, None], |f| f.texts.clone());
    w.text_table(
        "category.retention",
        &format!("{field}.retention"),
        &value,
        ["бұл деректер қанша уақыт сақталады", "как долго хранятся эти данные", "how long this data is kept"],
    );
}

/// A `[[category.third_parties]]` per recipient the policy names: its name, country (or a
/// TODO) and the purpose its sentence gives.
fn recipients(
    w: &mut Writer,
    field: &str,
    recipients: &[(&Finding, Vec<&Finding>)],
    by_sentence: &HashMap<usize, Vec<&Finding>>,
) {
    for (n, (f, seen)) in recipients.iter().enumerate() {
        let at = format!("{field}.third_parties[{n}]");
        w.line("");
        w.comment(&cite_all(w, &f.value, seen));
        w.line("[[category.third_parties]]");
        let name = w.localized(
            &format!("{at}.name"),
            &capitalized(&f.texts),
            ["деректерді алушы", "получатель данных", "the recipient"],
        );
        w.line(&format!("name = {name}"));
        let country = match f.country {
            Some(k) => k.to_owned(),
            None => {
                w.note([
                    "TODO: саясатта бұл алушының қай елде екені айтылмаған.",
                    "TODO: в политике не сказано, где находится этот получатель.",
                    "TODO: the policy does not say where this recipient is.",
                ]);
                w.todo(
                    format!("{at}.country"),
                    [
                        "алушы елінің ISO коды, мысалы, KZ",
                        "код ISO страны получателя, например KZ",
                        "the recipient's country as an ISO code such as KZ",
                    ],
                )
            }
        };
        w.line(&format!("country = {}", q(&country)));
        let purpose = by_sentence
            .get(&f.sentence)
            .and_then(|ps| ps.first())
            .map_or([None, None, None], |p| capitalized(&p.texts));
        let purpose = w.localized(
            &format!("{at}.purpose"),
            &purpose,
            [
                "деректер бұл алушыға не үшін беріледі",
                "зачем данные передаются этому получателю",
                "why the data goes to this recipient",
            ],
        );
        w.line(&format!("purpose = {purpose}"));
    }
}

/// Under `necessary`, what concerns the whole policy: the cases in which it allows handing
/// data to third parties, and the purposes no optional category was proposed for.
fn whole_policy_notes(w: &mut Writer, c: CategoryId) {
    let imp = w.imp;
    let cases: Vec<String> = imp.of(Kind::TransferCondition).map(|f| w.cite(f)).collect();
    if !cases.is_empty() {
        w.line("");
        w.note([
            "Саясат деректерді үшінші тұлғаларға мына жағдайларда беруге рұқсат етеді:",
            "Политика разрешает передавать данные третьим лицам в следующих случаях:",
            "The policy allows handing data to third parties in these cases:",
        ]);
        for case in cases {
            w.comment(&format!("  {case}"));
        }
    }
    let unproposed: Vec<String> = imp
        .of(Kind::Purpose)
        .filter(|f| !imp.categories().contains(&f.category.unwrap_or(c)))
        .map(|f| format!("{} ({})", w.cite(f), f.category.map_or("", |c| c.id())))
        .collect();
    if !unproposed.is_empty() {
        w.line("");
        w.note([
            "Саясатта мына мақсаттар да аталады, бірақ cookie файлдары, санауыштар немесе пиксельдер туралы ештеңе айтылмайды, сондықтан олар үшін міндетті емес санат ұсынылмады. Егер сайт олар үшін осындай технологияларды қолданса, санатты қосыңыз:",
            "Политика называет и эти цели, но не упоминает ни файлов cookie, ни счётчиков, ни пикселей, поэтому необязательная категория для них не предложена. Если сайт всё же использует для них такие технологии, добавьте категорию:",
            "The policy also names these purposes, but it mentions no cookies, counters or pixels, so no optional category is proposed for them. If the site does use such technologies for them, add the category:",
        ]);
        for u in unproposed {
            w.comment(&format!("  {u}"));
        }
    }
}

/// Art. 8 p.4: whether the category's data leaves Kazakhstan.
fn cross_border(
    w: &mut Writer,
    c: CategoryId,
    services: &[(&Finding, Vec<&Finding>)],
    recipients: &[(&Finding, Vec<&Finding>)],
) {
    let imp = w.imp;
    let mut countries: BTreeSet<String> = BTreeSet::new();
    let mut unnamed = false;
    for (f, _) in services.iter().chain(recipients) {
        if let Some(k) = f.country.filter(|k| *k != "KZ") {
            countries.insert(k.to_owned());
        }
    }
    let statements: Vec<&Finding> = imp.of(Kind::CrossBorder).collect();
    if c == CategoryId::Necessary {
        for f in &statements {
            w.comment(&w.cite(f));
            if f.value.is_empty() {
                unnamed = true;
            }
            countries.extend(f.value.split(',').filter(|k| !k.is_empty()).map(str::to_owned));
        }
    }
    if !services.is_empty() {
        w.note([
            "Сервистердің елдері саясаттан емес, Kelisim жүргізетін белгілі сервистер кестесінен алынды.",
            "Страны сервисов взяты из таблицы известных сервисов Kelisim, а не из политики.",
            "The services' countries come from Kelisim's table of known services, not from the policy.",
        ]);
    }
    let mut list: Vec<String> = countries.iter().map(|k| q(k)).collect();
    if unnamed {
        w.note([
            "TODO: саясатта деректерді шетелге беру туралы айтылады, бірақ елдер аталмаған.",
            "TODO: в политике говорится о трансграничной передаче данных, но не названы страны.",
            "TODO: the policy speaks of a transfer abroad but does not name the countries.",
        ]);
        let t = w.todo(
            format!("category.{}.cross_border.countries", c.id()),
            ["деректер берілетін елдер", "страны, куда передаются данные", "the countries the data goes to"],
        );
        list.push(q(&t));
    }
    if list.is_empty() {
        if c != CategoryId::Necessary && !statements.is_empty() {
            w.note([
                "Саясаттың деректерді шетелге беру туралы сөздері `necessary` санатында келтірілген.",
                "Слова политики о трансграничной передаче процитированы в категории `necessary`.",
                "The policy's statement on transfers abroad is quoted under `necessary`.",
            ]);
        } else {
            w.note([
                "Саясатта деректерді шетелге беру туралы айтылмаған.",
                "Политика не упоминает трансграничную передачу данных.",
                "The policy does not mention a transfer abroad.",
            ]);
        }
        w.line("cross_border = { transfer = false }");
    } else {
        w.line(&format!("cross_border = {{ transfer = true, countries = [{}] }}", list.join(", ")));
    }
}

fn services_of(w: &mut Writer, field: &str, services: &[(&Finding, Vec<&Finding>)], recipients: usize) {
    for (n, (f, seen)) in services.iter().enumerate() {
        let Some(svc) = SERVICES.iter().find(|s| s.id == f.id) else { continue };
        w.line("");
        w.comment(&cite_all(w, svc.name, seen));
        w.note([
            "Сервистің провайдері, елі және cookie файлдары саясаттан емес, Kelisim жүргізетін белгілі сервистер кестесінен алынды: оларды тексеріңіз.",
            "Провайдер сервиса, страна и файлы cookie взяты из таблицы известных сервисов Kelisim, а не из политики: проверьте их.",
            "Its provider, country and cookies come from Kelisim's table of known services, not from the policy: check them.",
        ]);
        w.line("[[category.third_parties]]");
        let at = format!("{field}.third_parties[{}]", recipients + n);
        let name = w.localized(
            &format!("{at}.name"),
            &owned(svc.provider()),
            ["сервисті ұсынатын компания", "компания, предоставляющая сервис", "the provider"],
        );
        w.line(&format!("name = {name}"));
        w.line(&format!("country = {}", q(svc.country())));
        let purpose = w.localized(
            &format!("{at}.purpose"),
            &owned(svc.description()),
            ["сервистің мақсаты", "назначение сервиса", "the service's purpose"],
        );
        w.line(&format!("purpose = {purpose}"));
        w.line("");
        w.line("[[category.service]]");
        w.line(&format!("id = {}", q(svc.id)));
        if kelisim_shared::catalogue::get(svc.id).is_some() {
            // The services catalogue gives the rest; `site check` shows what it filled in.
            w.note([
                "Атауы, келушілер оқитын атауы, провайдері, елі, сипаттамасы мен cookie файлдары Kelisim сервистер каталогынан алынады (оларды `kelisim site check` көрсетеді); осында берілген өріс каталогтағы мәнді алмастырады.",
                "Название, название для посетителей, провайдер, страна, описание и файлы cookie берутся из каталога сервисов Kelisim (их показывает `kelisim site check`); поле, указанное здесь, заменяет значение из каталога.",
                "Name, the label visitors read, provider, country, description and cookies come from Kelisim's services catalogue (`kelisim site check` shows them); a field given here overrides it.",
            ]);
            continue;
        }
        w.line(&format!("name = {}", q(svc.name)));
        w.line(&format!("provider = {}", q(svc.provider[2])));
        w.line(&format!("country = {}", q(svc.country)));
        let description = w.localized(
            &format!("{field}.service[{n}].description"),
            &owned(svc.description),
            ["сипаттамасы", "описание", "the description"],
        );
        w.line(&format!("description = {description}"));
        let cookies: Vec<String> = svc.cookies.iter().map(|c| q(c)).collect();
        w.line(&format!("cookies = [{}]", cookies.join(", ")));
    }
}
