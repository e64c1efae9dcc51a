//! What the site-file check (`site check`, kelisim-shared's validation) finds, in the page's
//! language: each [`Problem`] and the field it is at. The CLI keeps the English of
//! [`Problem::en`]; a TOML or serde error keeps the parser's English detail after a sentence of
//! the page's language, as code.

use super::count::{count, Noun};
use kelisim_shared::appearance::{Fault, Pair, MAX_FONT, MAX_RADIUS, MIN_CONTRAST};
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::problem::{Field, OriginFault, Problem, Shape};
use kelisim_shared::policy::{PolicyError, StorageKind};
use maud::{html, Markup};

static CHARACTER: Noun = Noun {
    kk: "таңба", ru: ["символ", "символа", "символов"], en: ["character", "characters"]
};
static ELEMENT: Noun = Noun {
    kk: "элемент", ru: ["элемент", "элемента", "элементов"], en: ["entry", "entries"]
};
static ITEM: Noun =
    Noun { kk: "тармақ", ru: ["пункт", "пункта", "пунктов"], en: ["item", "items"] };

/// The field, e.g. ru «категория `analytics`: `title.kk`».
pub fn field(l: Lang, f: &Field) -> String {
    f.render(|kind| {
        let word = match (l, kind) {
            (Lang::En, k) => return k.to_owned(),
            (Lang::Kk, "category") => "санат",
            (Lang::Ru, "category") => "категория",
            (Lang::Kk, "service") => "қызмет",
            (Lang::Ru, "service") => "сервис",
            (Lang::Kk, "third_parties") => "үшінші тұлға",
            (Lang::Ru, "third_parties") => "третье лицо",
            (Lang::Kk, "review") => "тексерілетін жазба",
            (Lang::Ru, "review") => "запись на проверку",
            (_, k) => return format!("`{k}`"),
        };
        word.to_owned()
    })
}

/// A located problem as the dashboard lists it: the place in the file (as code), the field and
/// what is wrong.
pub fn located(l: Lang, e: &PolicyError) -> Markup {
    let place = field(l, &e.place);
    html! {
        code { (e.file) ":" (e.line) ":" (e.column) } " "
        @if place.is_empty() {
            (said(l, &e.problem, true))
        } @else {
            (place) @if l != Lang::En { " —" } " " (said(l, &e.problem, false))
        }
    }
}

/// What is wrong, in `l`, on its own (next to its field): a sentence. The parser's own
/// explanation of a TOML or type error stays in English, as code, after a sentence that says
/// what kind of problem it is.
pub fn problem(l: Lang, p: &Problem) -> Markup {
    said(l, p, true)
}

/// What is wrong; after the field's name (`alone` false) as Kazakh and Russian continue a
/// sentence, with a small letter.
fn said(l: Lang, p: &Problem, alone: bool) -> Markup {
    let cap = |s: &str| match alone && l != Lang::En {
        true => capital(s),
        false => s.to_owned(),
    };
    match p {
        Problem::Syntax(detail) => html! { (cap(syntax(l))) " (" code { (detail) } ")" },
        Problem::Shape(shape, detail) => html! { (cap(mismatch(l, *shape))) " (" code { (detail) } ")" },
        _ => html! { (cap(&text(l, p))) },
    }
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn syntax(l: Lang) -> &'static str {
    match l {
        Lang::Kk => "файл TOML ретінде оқылмайды, мұнда синтаксис қатесі бар",
        Lang::Ru => "файл не читается как TOML: здесь синтаксическая ошибка",
        Lang::En => "is not valid TOML",
    }
}

fn mismatch(l: Lang, shape: Shape) -> &'static str {
    match (l, shape) {
        (Lang::Kk, Shape::Type) => "мәннің түрі дұрыс емес",
        (Lang::Ru, Shape::Type) => "значение неверного типа",
        (Lang::En, Shape::Type) => "A value of the wrong type",
        (Lang::Kk, Shape::UnknownField) => "белгісіз өріс: сайт файлында мұндай өріс болмайды",
        (Lang::Ru, Shape::UnknownField) => "неизвестное поле: в файле сайта такого поля не бывает",
        (Lang::En, Shape::UnknownField) => "An unknown field",
        (Lang::Kk, Shape::MissingField) => "міндетті өріс жетіспейді",
        (Lang::Ru, Shape::MissingField) => "не хватает обязательного поля",
        (Lang::En, Shape::MissingField) => "A required field is missing",
        (Lang::Kk, Shape::Duplicate) => "бір кілт екі рет берілген",
        (Lang::Ru, Shape::Duplicate) => "один и тот же ключ задан дважды",
        (Lang::En, Shape::Duplicate) => "A key given twice",
        (Lang::Kk, Shape::Other) => "мазмұны сайт файлының құрылымына сай емес",
        (Lang::Ru, Shape::Other) => "содержимое не соответствует устройству файла сайта",
        (Lang::En, Shape::Other) => "Not what a site file holds here",
    }
}

/// A slug's rule.
fn slug(l: Lang) -> &'static str {
    match l {
        Lang::Kk => "қысқа идентификатор болуы керек: a-z, 0-9, `_`, `-` таңбаларынан 1–32 таңба, бірінші таңбасы әріп",
        _ => "должен быть кратким идентификатором: 1–32 символа из a-z, 0-9, `_`, `-`, первый символ — буква",
    }
}

/// A number as the language writes it: 4,5 in Kazakh and Russian.
fn decimal(l: Lang, s: String) -> String {
    match l {
        Lang::En => s,
        _ => s.replace('.', ","),
    }
}

/// What is wrong, as text (TOML and type errors with their detail in parentheses).
pub fn text(l: Lang, p: &Problem) -> String {
    use Problem::*;
    let kk = l == Lang::Kk;
    if l == Lang::En {
        return p.en();
    }
    match p {
        Syntax(d) => format!("{} ({d})", syntax(l)),
        Shape(shape, d) => format!("{} ({d})", mismatch(l, *shape)),
        Todo => match kk {
            true => "әлі TODO тұр: оның орнына сайттың өз мәтінін жазыңыз".into(),
            false => "здесь всё ещё TODO: замените его текстом вашего сайта".into(),
        },
        TooLong { n, max } => match kk {
            true => format!("тым ұзын: {}, ал ең көбі {max} таңба болуы керек", count(l, *n, &CHARACTER)),
            false => format!("слишком длинно: {}, а допускается не больше {max}", count(l, *n, &CHARACTER)),
        },
        TooMany { n, max } => match kk {
            true => format!("тым көп: {}, ал ең көбі {max} болуы керек", count(l, *n, &ELEMENT)),
            false => format!("слишком много: {}, а допускается не больше {max}", count(l, *n, &ELEMENT)),
        },
        Missing => match kk {
            true => "толтырылмаған".into(),
            false => "не заполнено".into(),
        },
        Empty => match kk {
            true => "бос".into(),
            false => "пусто".into(),
        },
        EmptyList => match kk {
            true => "тізім бос".into(),
            false => "список пуст".into(),
        },
        ItemCount { n, first, first_n } => match kk {
            true => format!(
                "мұнда {}, ал `{}` тілінде — {first_n}: әр тілде тармақтар бірдей болуы керек",
                count(l, *n, &ITEM),
                first.code()
            ),
            false => format!(
                "здесь {}, а в `{}` — {first_n}: в каждом языке должны быть одни и те же пункты",
                count(l, *n, &ITEM),
                first.code()
            ),
        },
        NotOffered(lang) => match kk {
            true => format!("мәтін берілген, бірақ `{}` тілі `languages` тізімінде жоқ", lang.code()),
            false => format!("текст есть, но языка `{}` нет в `languages`", lang.code()),
        },
        Country(v) => match kk {
            true => format!("`{v}` — ISO 3166-1 бойынша екі әріпті ел коды емес (мысалы, `KZ`)"),
            false => format!("`{v}` — не двухбуквенный код страны по ISO 3166-1 (например, `KZ`)"),
        },
        Url(v) => match kk {
            true => format!("`{v}` — http(s) мекенжайы емес"),
            false => format!("`{v}` — не адрес http(s)"),
        },
        SiteSlug => slug(l).into(),
        NoOrigin => match kk {
            true => "кемінде бір сайт мекенжайын жазыңыз, мысалы \"https://example.kz\"".into(),
            false => "укажите хотя бы один адрес сайта, например \"https://example.kz\"".into(),
        },
        Origin(v, f) => match (kk, f) {
            (true, OriginFault::NoScheme) => format!("`{v}` — сайт мекенжайы емес: ол https:// немесе http:// деп басталуы керек"),
            (false, OriginFault::NoScheme) => format!("`{v}` — не адрес сайта: он должен начинаться с https:// или http://"),
            (true, OriginFault::NotBare) => {
                format!("`{v}` — сайт мекенжайы емес: тек схема мен хост[:порт], жолсыз және соңында қиғаш сызықсыз")
            }
            (false, OriginFault::NotBare) => {
                format!("`{v}` — не адрес сайта: только схема и хост[:порт], без пути и косой черты в конце")
            }
            (true, OriginFault::Uppercase) => format!("`{v}` кіші әріптермен жазылуы керек, браузер оны солай жібереді"),
            (false, OriginFault::Uppercase) => format!("`{v}` нужно писать строчными буквами, как его отправляет браузер"),
        },
        MustInclude(lang) => match kk {
            true => format!("тізімде `{}` болуы керек", lang.code()),
            false => format!("в списке должен быть `{}`", lang.code()),
        },
        Twice(v) => match kk {
            true => format!("`{v}` екі рет жазылған"),
            false => format!("`{v}` указан дважды"),
        },
        ConsentDays => match kk {
            true => "1 мен 3650 күн аралығында болуы керек".into(),
            false => "должно быть от 1 до 3650 дней".into(),
        },
        Retention { retention, consent } => match kk {
            true => format!(
                "({retention}) `consent_days` мәнінен ({consent}) аз: келісім күшінде тұрғанда оны дәлелдеуге мүмкін болуы керек"
            ),
            false => format!(
                "({retention}) меньше, чем `consent_days` ({consent}): согласие должно оставаться доказуемым всё время, пока оно действует"
            ),
        },
        TimeZone(v) => match kk {
            true => format!("`{v}` — IANA дерекқорындағы уақыт белдеуі емес; `Asia/Almaty` сияқты атауын жазыңыз"),
            false => format!("`{v}` — не часовой пояс из базы IANA; укажите название вроде `Asia/Almaty`"),
        },
        Appearance(f) => appearance(l, f),
        Bin(v) => match kk {
            true => format!("`{v}` — жарамсыз БСН: бақылау цифры дұрыс 12 цифр болуы керек"),
            false => format!("`{v}` — неверный БИН: нужно 12 цифр с правильной контрольной цифрой"),
        },
        Email(v) => match kk {
            true => format!("`{v}` — электрондық пошта мекенжайы емес"),
            false => format!("`{v}` — не адрес электронной почты"),
        },
        Phone(v) => match kk {
            true => format!("`{v}` — телефон нөмірі емес"),
            false => format!("`{v}` — не номер телефона"),
        },
        NoContact => match kk {
            true => "кемінде бір байланыс керек: `email`, `phone` немесе `address`".into(),
            false => "нужен хотя бы один контакт: `email`, `phone` или `address`".into(),
        },
        NoCategory => match kk {
            true => "кемінде бір `[[category]]` болуы керек".into(),
            false => "нужна хотя бы одна `[[category]]`".into(),
        },
        NoRequired => match kk {
            true => "бірде-бір санатта `required = true` жоқ: дәл бір санат міндетті болуы керек".into(),
            false => "ни у одной категории нет `required = true`: обязательной должна быть ровно одна".into(),
        },
        SecondRequired => match kk {
            true => "екінші міндетті санат: міндетті санат біреу ғана бола алады".into(),
            false => "вторая обязательная категория: обязательной может быть только одна".into(),
        },
        CategorySlug(v) | ServiceSlug(v) => format!("`{v}` {}", slug(l)),
        CategoryTaken(v) => match kk {
            true => format!("`{v}` жоғарыдағы санатта қолданылған"),
            false => format!("`{v}` уже занят категорией выше"),
        },
        GpcOffRequired => match kk {
            true => "міндетті санатта қоюға болмайды".into(),
            false => "нельзя задавать у обязательной категории".into(),
        },
        TransferWithoutCountries => match kk {
            true => "`transfer = true` деп тұр, бірақ `countries` тізімі жоқ".into(),
            false => "указано `transfer = true`, но не перечислены `countries`".into(),
        },
        CountriesWithoutTransfer => match kk {
            true => "`countries` тізімі бар, бірақ `transfer = false` деп тұр".into(),
            false => "перечислены `countries`, но указано `transfer = false`".into(),
        },
        Abroad(k) => match kk {
            true => format!(
                "деректерді алушылардың бірі `{k}` елінде, сондықтан `cross_border` ішінде `transfer = true` деп жазып, `{k}` елін тізімге қосу керек"
            ),
            false => format!(
                "один из получателей данных находится в `{k}`, поэтому в `cross_border` нужно указать `transfer = true` и добавить `{k}` в список"
            ),
        },
        ServiceTaken(v) => match kk {
            true => format!("`{v}` осы санаттың жоғарыдағы қызметінде қолданылған"),
            false => format!("`{v}` уже занят сервисом выше в этой категории"),
        },
        NotInCatalogue(v, Some(near)) => match kk {
            true => format!(
                "`{v}` Kelisim қызметтер каталогында жоқ: `{near}` деп жазғыңыз келді ме? Әйтпесе қызметтің `name`, `provider`, `country` және `description` өрістерін толтырыңыз"
            ),
            false => format!(
                "Сервиса `{v}` нет в каталоге Kelisim: возможно, вы имели в виду `{near}`? Если нет, заполните у сервиса `name`, `provider`, `country` и `description`"
            ),
        },
        TrackerRequired(v, cat) => match kk {
            true => format!(
                "`{v}` каталогта `{cat}` санатына жатады: міндетті санатта ол келуші таңдау жасамай тұрып іске қосылып, ешқашан бұғатталмас еді; оны міндетті емес санатқа ауыстырыңыз"
            ),
            false => format!(
                "Сервис `{v}` в каталоге относится к категории `{cat}`: в обязательной категории он запускался бы ещё до выбора посетителя и никогда не блокировался бы; перенесите его в необязательную категорию"
            ),
        },
        NotInCatalogue(v, None) => match kk {
            true => format!(
                "`{v}` Kelisim қызметтер каталогында жоқ: каталогтағы идентификаторды жазыңыз немесе қызметтің `name`, `provider`, `country` және `description` өрістерін толтырыңыз"
            ),
            false => format!(
                "`{v}` нет в каталоге сервисов Kelisim: укажите идентификатор из каталога или заполните у сервиса `name`, `provider`, `country` и `description`"
            ),
        },
        CookieName(v) => match kk {
            true => format!("`{v}` — cookie атауы емес"),
            false => format!("`{v}` — не имя cookie"),
        },
        StorageKey => match kk {
            true => "сақтау кілті болуы керек: бос емес, басқару таңбаларынсыз".into(),
            false => "должно быть ключом хранилища: непустым, без управляющих символов".into(),
        },
        SuggestedCategory(v) => match kk {
            true => format!("`{v}` санаттың идентификаторы болуы керек"),
            false => format!("`{v}` должно быть идентификатором категории"),
        },
        CookiePattern(v) => match kk {
            true => format!("`{v}` — cookie атауы да, `_ga` не `_ym_*` сияқты үлгі де емес"),
            false => format!("`{v}` — не имя cookie и не шаблон вроде `_ga` или `_ym_*`"),
        },
        Note(phrase) => match kk {
            true => format!(
                "оператордың ескертпесіне ұқсайды («{phrase}»): бұл мәтінді келушілер оқиды, сондықтан олардың деректерімен не болатынын тура жазыңыз, ал ескертпені `#` түсініктемесіне қалдырыңыз"
            ),
            false => format!(
                "похоже на заметку для оператора («{phrase}»): этот текст читают посетители, поэтому прямо напишите, что происходит с их данными, а заметку оставьте в комментарии `#`"
            ),
        },
        Review { kind, name, suggested } => {
            let what = match (kk, kind) {
                (_, StorageKind::Cookie) => "cookie".to_owned(),
                (true, k) => format!("{} кілті", storage(*k)),
                (false, k) => format!("ключ {}", storage(*k)),
            };
            let suggested = match (kk, suggested) {
                (_, None) => String::new(),
                (true, Some(c)) => format!(" (ұсынылған санат — `{c}`)"),
                (false, Some(c)) => format!(" (предлагаемая категория — `{c}`)"),
            };
            match kk {
                true => format!(
                    "{what} `{name}` тексеруді күтіп тұр{suggested}: оны бір санатта көрсетіңіз немесе сайттан алып тастаңыз, содан кейін осы жазбаны өшіріңіз"
                ),
                false => format!(
                    "{what} `{name}` ждёт проверки{suggested}: укажите его в одной из категорий или уберите с сайта, затем удалите эту запись"
                ),
            }
        }
    }
}

fn storage(k: StorageKind) -> &'static str {
    match k {
        StorageKind::LocalStorage => "localStorage",
        _ => "sessionStorage",
    }
}

fn appearance(l: Lang, f: &Fault) -> String {
    let kk = l == Lang::Kk;
    match f {
        Fault::Colour(v) => match kk {
            true => format!("`{v}` — түс емес: оны #rrggbb немесе #rgb түрінде жазыңыз"),
            false => format!("`{v}` — не цвет: запишите его как #rrggbb или #rgb"),
        },
        Fault::Contrast { pair, tenths } => {
            let ratio = decimal(l, Fault::ratio(*tenths));
            let min = decimal(l, MIN_CONTRAST.to_string());
            let what = match (kk, pair) {
                (true, Pair::Text) => "фондағы мәтіндер",
                (true, Pair::Accent) => "фондағы сілтемелер мен жиекті түймелер",
                (true, Pair::AccentText) => "акцент түсіндегі түйме мәтіні",
                (false, Pair::Text) => "текста на фоне",
                (false, Pair::Accent) => "ссылок и кнопок с рамкой на фоне",
                (false, Pair::AccentText) => "текста кнопок на акцентном цвете",
            };
            match kk {
                true => format!(
                    "{what} нашар оқылады: контраст {ratio}:1, ал кемінде {min}:1 керек (WCAG 2.1 AA)"
                ),
                false => format!(
                    "недостаточный контраст {what}: {ratio}:1, а нужно не меньше {min}:1 (WCAG 2.1 AA)"
                ),
            }
        }
        Fault::Radius => match kk {
            true => format!("0 мен {MAX_RADIUS} аралығында болуы керек (пиксельмен)"),
            false => format!("должно быть от 0 до {MAX_RADIUS} (в пикселях)"),
        },
        Fault::Font => match kk {
            true => format!(
                "ең көбі {MAX_FONT} таңбадан тұратын CSS font-family тізімі болуы керек: атаулар, бос орындар, үтірлер, тырнақшалар мен дефистер"
            ),
            false => format!(
                "должно быть списком шрифтов CSS font-family не длиннее {MAX_FONT} символов: названия, пробелы, запятые, кавычки и дефисы"
            ),
        },
        Fault::Logo(v) => match kk {
            true => format!("`{v}` https:// мекенжайы немесе сайттағы жол (/logo.svg) болуы керек"),
            false => format!("`{v}` должно быть адресом https:// или путём на сайте (/logo.svg)"),
        },
    }
}

/// Under a refused file: the site keeps its running version.
pub fn still_serving(l: Lang, site: &str, version: &str) -> Markup {
    match l {
        Lang::Kk => {
            html! { "Сайт " code { (site) } " бұрынғы " code { (version) } " нұсқасымен жұмысын жалғастырып тұр." }
        }
        Lang::Ru => html! { "Сайт " code { (site) } " продолжает работать на прежней версии " code { (version) } "." },
        Lang::En => html! { "Site " code { (site) } " keeps serving version " code { (version) } "." },
    }
}
