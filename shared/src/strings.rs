//! Built-in UI strings of the banner and the preferences layer, in Kazakh, Russian and English.
//!
//! The site's own texts (category titles, descriptions, …) come from its site policy file;
//! these are the words around them. Law on Languages Art. 21: Kazakh first.

use crate::lang::Lang;

pub struct Ui {
    /// The language's own name, for the language switcher.
    pub language_name: &'static str,
    pub banner_title: &'static str,
    pub banner_text: &'static str,
    pub policy_link: &'static str,
    pub accept_all: &'static str,
    pub reject_all: &'static str,
    pub customize: &'static str,
    pub save: &'static str,
    pub preferences_title: &'static str,
    pub preferences_intro: &'static str,
    pub always_on: &'static str,
    pub data: &'static str,
    pub purposes: &'static str,
    pub retention: &'static str,
    pub third_parties: &'static str,
    pub cross_border_none: &'static str,
    pub cross_border_to: &'static str,
    pub services: &'static str,
    pub cookies: &'static str,
    pub operator: &'static str,
    pub bin: &'static str,
    pub storage_country: &'static str,
    pub close: &'static str,
    pub reopen: &'static str,
    pub language: &'static str,
    pub gpc_honoured: &'static str,
    pub withdraw: &'static str,
    /// Label of each category's disclosure (data, purposes, retention, recipients, transfer).
    pub details: &'static str,
    /// Link to the visitor's own consent history (Art. 24 p.1(1)).
    pub receipt: &'static str,
    /// A site with only its required category: the first layer is a notice (title, text, one
    /// button), and the texts never mention categories the site does not have.
    pub notice_title: &'static str,
    pub notice_text: &'static str,
    pub notice_ok: &'static str,
    /// Said (and shown briefly) after each decision.
    pub saved: &'static str,
    /// The placeholder of an embed that waits for consent: `{name}` is what it is (a service's
    /// name or the element's title), `{category}` the category's title.
    pub embed_text: &'static str,
    /// Its button: loads it now, granting that category.
    pub embed_allow: &'static str,
    /// What an embed is called when neither a known service nor its `title` names it.
    pub embed_unnamed: &'static str,
}

pub static KK: Ui = Ui {
    language_name: "Қазақша",
    banner_title: "Cookie файлдары және дербес деректер",
    banner_text: "Сайтқа қажетті cookie файлдары әрдайым қосулы, қалғандары тек келісіміңізбен қосылады. Таңдауды кез келген уақытта өзгерте аласыз.",
    policy_link: "Құпиялылық саясаты",
    accept_all: "Барлығын қабылдау",
    reject_all: "Барлығынан бас тарту",
    customize: "Баптау",
    save: "Таңдауымды сақтау",
    preferences_title: "Cookie баптаулары",
    preferences_intro: "Әр санат үшін келісім беруге немесе бермеуге болады. Міндетті cookie файлдарынсыз сайт жұмыс істемейді, сондықтан олар өшірілмейді.",
    always_on: "Әрдайым қосулы",
    data: "Жиналатын деректер",
    purposes: "Мақсаттары",
    retention: "Сақтау мерзімі",
    third_parties: "Деректерді алушылар",
    cross_border_none: "Жоқ",
    cross_border_to: "Деректерді шетелге беру",
    services: "Сервистер",
    cookies: "Cookie файлдары",
    operator: "Дербес деректер операторы",
    bin: "БСН",
    storage_country: "Деректер сақталатын ел",
    close: "Жабу",
    reopen: REOPEN[0],
    language: "Тіл",
    gpc_honoured: "Браузеріңіз Global Privacy Control сигналын жіберді, сондықтан кейбір санаттар өзіңіз қоспайынша өшірулі қалады.",
    withdraw: "Барлық келісімді кері қайтарып алу",
    details: "Толығырақ",
    receipt: "Менің келісімім туралы түбіртек",
    notice_title: "Cookie файлдары туралы",
    notice_text: "Бұл сайт тек өз жұмысына қажет cookie файлдарын қолданады. Басқа cookie файлдары жоқ.",
    notice_ok: "Түсінікті",
    saved: "Таңдауыңыз сақталды.",
    embed_text: "{name} басқа сервистен жүктеледі және «{category}» санатына келісіміңізді қажет етеді.",
    embed_allow: "Жүктеу",
    embed_unnamed: "Бұл мазмұн",
};

pub static RU: Ui = Ui {
    language_name: "Русский",
    banner_title: "Файлы cookie и персональные данные",
    banner_text: "Необходимые файлы cookie работают всегда, остальные — только с вашего согласия. Выбор можно изменить в любой момент.",
    policy_link: "Политика конфиденциальности",
    accept_all: "Принять все",
    reject_all: "Отклонить все",
    customize: "Настроить",
    save: "Сохранить мой выбор",
    preferences_title: "Настройки cookie",
    preferences_intro: "Согласие можно дать или не давать для каждой категории отдельно. Обязательные файлы cookie нужны для работы сайта, поэтому их нельзя отключить.",
    always_on: "Всегда включены",
    data: "Какие данные собираются",
    purposes: "Цели",
    retention: "Срок хранения",
    third_parties: "Получатели данных",
    cross_border_none: "Нет",
    cross_border_to: "Передача за рубеж",
    services: "Сервисы",
    cookies: "Файлы cookie",
    operator: "Оператор персональных данных",
    bin: "БИН",
    storage_country: "Страна хранения данных",
    close: "Закрыть",
    reopen: REOPEN[1],
    language: "Язык",
    gpc_honoured: "Ваш браузер передал сигнал Global Privacy Control, поэтому некоторые категории останутся выключенными, пока вы не включите их сами.",
    withdraw: "Отозвать всё согласие",
    details: "Подробнее",
    receipt: "Квитанция о моём согласии",
    notice_title: "О файлах cookie",
    notice_text: "Этот сайт использует только файлы cookie, без которых он не работает. Других файлов cookie здесь нет.",
    notice_ok: "Понятно",
    saved: "Ваш выбор сохранён.",
    embed_text: "{name} загружается с другого сервиса и требует вашего согласия на категорию «{category}».",
    embed_allow: "Загрузить",
    embed_unnamed: "Этот материал",
};

pub static EN: Ui = Ui {
    language_name: "English",
    banner_title: "Cookies and personal data",
    banner_text: "Necessary cookies are always on; others only with your consent. You can change your choice at any time.",
    policy_link: "Privacy policy",
    accept_all: "Accept all",
    reject_all: "Reject all",
    customize: "Customize",
    save: "Save my choice",
    preferences_title: "Cookie preferences",
    preferences_intro: "You can give or refuse consent for each category separately. Necessary cookies keep the site working, so they cannot be switched off.",
    always_on: "Always on",
    data: "Data collected",
    purposes: "Purposes",
    retention: "Retention",
    third_parties: "Recipients",
    cross_border_none: "No",
    cross_border_to: "Transfer abroad",
    services: "Services",
    cookies: "Cookies",
    operator: "Personal data operator",
    bin: "BIN",
    storage_country: "Country where data is stored",
    close: "Close",
    reopen: REOPEN[2],
    language: "Language",
    gpc_honoured: "Your browser sent a Global Privacy Control signal, so some categories stay off unless you switch them on yourself.",
    withdraw: "Withdraw all consent",
    details: "Details",
    receipt: "My consent receipt",
    notice_title: "About cookies",
    notice_text: "This site uses only the cookies it needs to work. There are no others.",
    notice_ok: "Got it",
    saved: "Your choice has been saved.",
    embed_text: "{name} loads from another service and needs your consent to “{category}”.",
    embed_allow: "Load",
    embed_unnamed: "This content",
};

/// The reopen button's label (kk, ru, en): the one string the widget itself carries, for a
/// return visit shows it without loading the config.
pub const REOPEN: [&str; 3] = ["Cookie баптаулары", "Настройки cookie", "Cookie preferences"];

/// Embeds the widget names by the address they load (a piece of `data-src`, first match wins),
/// in kk, ru and en: the placeholder says what is waiting, not just "this content".
pub const KNOWN_EMBEDS: &[(&str, [&str; 3])] = &[
    ("youtube", ["YouTube бейнесі", "Видео YouTube", "A YouTube video"]),
    ("youtu.be", ["YouTube бейнесі", "Видео YouTube", "A YouTube video"]),
    ("vimeo.com", ["Vimeo бейнесі", "Видео Vimeo", "A Vimeo video"]),
    ("yandex.", ["Яндекс Карталар", "Яндекс Карты", "Yandex Maps"]),
    ("2gis.", ["2ГИС картасы", "Карта 2ГИС", "A 2GIS map"]),
    ("google.com/maps", ["Google Maps картасы", "Карта Google Maps", "A Google Maps map"]),
    ("rutube.ru", ["Rutube бейнесі", "Видео Rutube", "A Rutube video"]),
];

pub fn ui(lang: Lang) -> &'static Ui {
    match lang {
        Lang::Kk => &KK,
        Lang::Ru => &RU,
        Lang::En => &EN,
    }
}

/// Country names for the ISO codes that the site files use most; others are shown as codes.
pub fn country_name(code: &str, lang: Lang) -> Option<&'static str> {
    let names: &[(&str, [&str; 3])] = &[
        ("KZ", ["Қазақстан", "Казахстан", "Kazakhstan"]),
        ("RU", ["Ресей", "Россия", "Russia"]),
        ("US", ["АҚШ", "США", "United States"]),
        ("IE", ["Ирландия", "Ирландия", "Ireland"]),
        ("NL", ["Нидерланд", "Нидерланды", "Netherlands"]),
        ("DE", ["Германия", "Германия", "Germany"]),
        ("FI", ["Финляндия", "Финляндия", "Finland"]),
        ("CN", ["Қытай", "Китай", "China"]),
    ];
    let i = match lang {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    };
    names.iter().find(|(c, _)| *c == code).map(|(_, n)| n[i])
}
