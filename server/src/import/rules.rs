//! Every rule `kelisim policy import` applies to a policy's text, in one place.
//!
//! - [`RULES`]: keyword rules. Each finds one thing a sentence can say — a datum collected, a
//!   purpose (and so a category), a tracking technology, a recipient, where data is stored —
//!   and carries the neutral wording of that thing in Kazakh, Russian and English, which the
//!   draft uses for its lists. Russian and Kazakh patterns sit in the same row. A wording that
//!   lands in a visitor text (data, purposes, retention, recipients) says the thing itself,
//!   never what the policy does or does not say: that goes into the draft's comments.
//! - [`SERVICES`]: named services (Yandex.Metrica, Google Analytics…) with their provider.
//! - [`COOKIES`]: well-known cookie names and the category they belong to.
//! - [`COUNTRIES`]: country names, for storage and cross-border statements.
//! - the value patterns at the end: legal names, BIN, e-mail, phone, addresses, dates, URLs.
//!
//! Patterns are matched case-insensitively (`regex` syntax, Unicode), one sentence at a time.
//! Stems end in `\w*` so that every case ending matches (`\w` stands for a Cyrillic or Latin
//! letter or digit); an ASCII word boundary is written `(?-u:\b)` and is only used next to
//! Latin letters. "Anything up to" is `[^.;]*`: the sentence bounds it, and a bounded repeat
//! (`{0,80}`) of a Unicode class would blow up the automaton that matches all rules at once.
//! A rule never fires in a definition («Cookies» — …): defining a term is not saying the site
//! uses it.

use super::categories::CategoryId::{self, *};
use super::categories::Texts;
use Kind::*;

/// What a finding is about. Serialized in the JSON report as `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    OperatorName,
    Bin,
    Address,
    Email,
    Phone,
    Site,
    PolicyUrl,
    Date,
    Version,
    /// Collected automatically when a page is visited.
    Data,
    Purpose,
    /// Cookies, counters, pixels: their presence is what makes optional categories possible.
    Technology,
    Service,
    CookieName,
    ThirdParty,
    /// A case in which the policy allows handing data to third parties.
    TransferCondition,
    Storage,
    CrossBorder,
    Retention,
    /// How the user withdraws or changes consent (Art. 8 p.2).
    Withdrawal,
    /// "Using the site means consent": Law 94-V (Art. 7, 8, 9) needs an explicit consent.
    ImpliedConsent,
    /// Law 94-V has no legitimate-interest basis.
    LegitimateInterest,
}

/// Where a rule may fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Anywhere,
    /// Only where the sentence, or the sentence introducing its list, speaks of handing data
    /// over: a recipient named elsewhere is not a recipient.
    Transfer,
}

pub struct Rule {
    pub kind: Kind,
    pub id: &'static str,
    /// For purposes: the category they imply. For technologies: the category they imply when
    /// their sentence names no purpose (a counter counts, a pixel advertises).
    pub category: Option<CategoryId>,
    pub scope: Scope,
    pub pattern: &'static str,
    /// Neutral wording of the finding: `kk`, `ru`, `en`.
    pub label: Texts,
}

const fn r(kind: Kind, id: &'static str, category: Option<CategoryId>, pattern: &'static str, label: Texts) -> Rule {
    Rule { kind, id, category, scope: Scope::Anywhere, pattern, label }
}

const fn to(id: &'static str, pattern: &'static str, label: Texts) -> Rule {
    Rule { kind: ThirdParty, id, category: None, scope: Scope::Transfer, pattern, label }
}

/// Keyword rules. Within one sentence, when two rules of the same kind and category match
/// overlapping text, the one listed first wins (so «статистических и иных исследований» is
/// research, not also statistics).
pub const RULES: &[Rule] = &[
    // ---- Data collected automatically (Art. 8 p.4: the list of data) ----
    r(
        Data,
        "ip_address",
        None,
        r"(?-u:\bip\b)[\s-]*(адрес|мекенжай)\w*|ip[\s-]?address\w*",
        ["IP мекенжайы", "IP-адрес", "IP address"],
    ),
    r(
        Data,
        "cookie_data",
        None,
        r"(информаци|данн|сведени)\w* (из |в )?(файл\w* )?(cookie|куки)\w*|(файл|фрагмент)\w* (данных, называем\w* )?(cookie|куки)\w*|cookie[\s-]*файл\w*",
        ["cookie файлдарындағы деректер", "данные файлов cookie", "cookie data"],
    ),
    r(
        Data,
        "browser",
        None,
        r"(информаци|данн|сведени|тип|верси)\w* (о |об )?(вашем |используемом )?браузер\w*|используем\w* браузер\w*|user[\s-]?agent|браузер\w* (туралы|түрі|нұсқа)\w*",
        ["браузер туралы ақпарат", "информация о браузере", "browser information"],
    ),
    r(
        Data,
        "access_time",
        None,
        r"врем\w* (доступа|посещени|обращени)\w*|дат\w* и врем\w*|(кірген|кіру) (күні|уақыт)\w*",
        ["кіру күні мен уақыты", "дата и время доступа", "date and time of access"],
    ),
    r(
        Data,
        "referrer",
        None,
        r"рефер+ер\w*|(?-u:\breferr?er)|адрес\w* предыдущ\w* страниц\w*|алдыңғы бет\w*",
        ["реферер (алдыңғы беттің мекенжайы)", "реферер (адрес предыдущей страницы)", "referrer (the previous page)"],
    ),
    r(
        Data,
        "pages",
        None,
        r"(адрес|url)\w* (запрашиваем\w* |посещ[её]нн\w* |просматриваем\w* )?страниц\w*|запрашиваем\w* страниц\w*|истори\w* (посещени|просмотр)\w*|(сұралған|қаралған|кірген) бет\w*",
        [
            "сұралған және қаралған беттердің мекенжайлары",
            "адреса запрашиваемых и посещённых страниц",
            "addresses of the pages requested and visited",
        ],
    ),
    r(
        Data,
        "device",
        None,
        r"(информаци|сведени|данн)\w* о (вашем )?(компьютер|устройств)\w*|характеристик\w* (оборудовани|устройств)\w*|операционн\w* систем\w*|тип\w* устройств\w*|разрешени\w* экрана|құрылғы\w* туралы|операциялық жүйе\w*",
        [
            "құрылғы мен бағдарламалық қамтылым туралы мәліметтер",
            "сведения об устройстве и программном обеспечении",
            "device and software details",
        ],
    ),
    r(
        Data,
        "location",
        None,
        r"мест\w* нахождени\w*|местонахождени\w*|местоположени\w*|геолокаци\w*|орналасқан жер\w*",
        ["орналасқан жері", "местонахождение", "location"],
    ),
    // ---- Purposes → necessary: what the site cannot work without ----
    r(
        Purpose,
        "sign_in",
        Some(Necessary),
        r"авториз\w*|уч[её]тн\w* запис\w*|личн\w* кабинет\w*|есептік жазба\w*|жеке кабинет\w*",
        ["есептік жазбаға кіру", "вход в учётную запись", "signing in"],
    ),
    r(
        Purpose,
        "identification",
        Some(Necessary),
        r"идентификаци\w*|распозна\w*|сәйкестендір\w*",
        ["пайдаланушыны сәйкестендіру", "идентификация пользователя", "identifying the user"],
    ),
    r(
        Purpose,
        "security",
        Some(Necessary),
        r"мошенничеств\w*|(для|в целях|с целью) (обеспечения |повышения )?безопасност\w*|доверия и безопасност\w*|смягчени\w* рисков|алаяқтық\w*|(сайттың|сайт|пайдаланушылардың) қауіпсіздіг\w*",
        [
            "қауіпсіздік және алаяқтықтың алдын алу",
            "безопасность и предотвращение мошенничества",
            "security and fraud prevention",
        ],
    ),
    r(
        Purpose,
        "orders",
        Some(Necessary),
        r"(оформ|выполн|исполн|обработ)\w* заказ\w*|(заключени|исполнени)\w* договор\w*|купли-продажи|платеж\w*|тапсырыс\w*|тауарды жеткізу\w*|шарт\w* (жасасу|орындау)\w*|төлем\w*",
        [
            "тапсырыстарды, шарттар мен төлемдерді орындау",
            "оформление и выполнение заказов, договоров и платежей",
            "orders, contracts and payments",
        ],
    ),
    r(
        Purpose,
        "technical",
        Some(Necessary),
        r"техническ\w* (проблем|неполадок|сбо|поддержк)\w*|работоспособност\w*|техникалық (ақау|қолдау)\w*|жұмысқа қабілеттілі\w*|сайттың (дұрыс )?жұмыс\w*",
        [
            "сайттың жұмысын қамтамасыз ету және техникалық ақауларды шешу",
            "обеспечение работы сайта и решение технических проблем",
            "keeping the site working and fixing technical problems",
        ],
    ),
    r(
        Purpose,
        "legal",
        Some(Necessary),
        r"запрос\w* (уполномоченн|государственн|правоохранительн)\w*|мотивированн\w* запрос\w*|по основаниям[^.;]*законодательств\w*|предусмотрен\w* (действующим |применимым )?законодательств\w*|заңнама\w* (талаптар|көзделген|белгіленген)\w*",
        ["заңнама талаптарын орындау", "исполнение требований законодательства", "complying with the law"],
    ),
    r(
        Purpose,
        "communication",
        Some(Necessary),
        r"установлени\w*( с пользовател\w*)? обратн\w* связ\w*|направлени\w* уведомлени\w*|^уведомлени\w*|(обработк|исполнени)\w* запросов|связ(ь|аться|и) с пользовател\w*|кері байланыс\w*|хабарлама\w* жіберу\w*",
        ["кері байланыс және хабарламалар", "обратная связь и уведомления", "feedback and notices"],
    ),
    // ---- Purposes → functional ----
    r(
        Purpose,
        "personalisation",
        Some(Functional),
        r"персонализ\w*|персонифицир\w*|настраива\w* (наш |ваш )?сайт\w*|запомина\w*|предпочтени\w*|жекелендір\w*|бейімде\w*|есте сақта\w*",
        ["жекелендіру және сайт баптаулары", "персонализация и настройки сайта", "personalisation and site settings"],
    ),
    // ---- Purposes → analytics ----
    r(
        Purpose,
        "research",
        Some(Analytics),
        r"исследовательск\w* цел\w*|(статистическ|иных|научн|маркетингов|социальн)\w* (и (иных|маркетинговых) |или иных )?исследовани\w*|зерттеу\w*",
        [
            "статистикалық және өзге де зерттеулер",
            "статистические и иные исследования",
            "statistical and other research",
        ],
    ),
    r(
        Purpose,
        "statistics",
        Some(Analytics),
        r"статистическ\w*|статистик\w* (посещ|использ|просмотр|сайт|трафик)\w*|подсч[её]т\w* посещ\w*|подсчитыв\w*|посещаемост\w*|понима\w* использовани\w*|аналитик\w*|аналитическ\w*|анализ\w* (поведени|использовани|посещ|файлов|трафик|аудитори)\w*|статистика(сы|лық|ны|ға|да)\w*|талдау\w*|талдама\w*|(кірулерді|келушілерді) санау\w*",
        [
            "сайтқа кірулер мен оның пайдаланылу статистикасы",
            "статистика посещений и использования сайта",
            "statistics on visits and use of the site",
        ],
    ),
    r(
        Purpose,
        "improvement",
        Some(Analytics),
        r"улучшени\w* (качества|сайта|работы|сервис|удобства)\w*|разработк\w* новых (сервис|услуг)\w*|(сайтты|қызметтерді|сервистерді) жақсарту\w*",
        ["сайт пен қызметтерді жақсарту", "улучшение сайта и сервисов", "improving the site and services"],
    ),
    // ---- Purposes → marketing ----
    r(
        Purpose,
        "advertising",
        Some(Marketing),
        r"таргет\w*|ретаргет\w*|ремаркет\w*|рекламн\w*|(показ|эффективност|подбор|демонстраци)\w* реклам\w*|реклам\w* (кампани|объявлени|материал|сет)\w*|жарнама\w*",
        ["жарнаманы көрсету және таргеттеу", "показ и таргетирование рекламы", "showing and targeting ads"],
    ),
    r(
        Purpose,
        "campaigns",
        Some(Marketing),
        r"рассылк\w*|маркетингов\w* (кампани|рассыл|сообщени|материал)\w*|специальн\w* предложени\w*|рекламно-информационн\w*|таратылым\w*|арнайы ұсыныс\w*|маркетингтік\w*",
        [
            "таратылымдар мен маркетингтік науқандар",
            "рассылки и маркетинговые кампании",
            "newsletters and marketing campaigns",
        ],
    ),
    // ---- Technologies: without one of these, no optional category is proposed ----
    r(Technology, "cookies", None, r"cookie\w*|куки\w*", ["cookie файлдары", "файлы cookie", "cookies"]),
    r(Technology, "counters", Some(Analytics), r"сч[её]тчик\w*|санауыш\w*", ["санауыштар", "счётчики", "counters"]),
    r(
        Technology,
        "pixels",
        Some(Marketing),
        r"пиксел\w*|веб-маяк\w*|web[\s-]?beacon\w*|маяк\w*",
        ["пиксельдер мен веб-маяктар", "пиксели и веб-маяки", "pixels and web beacons"],
    ),
    r(
        Technology,
        "analytics_script",
        Some(Analytics),
        r"статистическ\w* скрипт\w*|скрипт\w* (аналитик|статистик)\w*",
        ["статистика скрипті", "статистический скрипт", "statistics script"],
    ),
    r(
        Technology,
        "local_storage",
        None,
        r"local\s?storage|локальн\w* хранилищ\w*",
        ["браузердің жергілікті қоймасы", "локальное хранилище браузера", "browser local storage"],
    ),
    // ---- Recipients (Art. 8 p.4: third parties) ----
    to("couriers", r"курьер\w*", ["курьерлік қызметтер", "курьерские службы", "courier services"]),
    to(
        "postal",
        r"почтов\w* (связ|служб)\w*|пошта\w* (байланыс|қызмет)\w*",
        ["пошта байланысы ұйымдары", "организации почтовой связи", "postal operators"],
    ),
    to(
        "telecom",
        r"оператор\w* (электро|сотов\w* |мобильн\w* )?связи|байланыс операторлар\w*",
        ["байланыс операторлары", "операторы связи", "telecom operators"],
    ),
    to(
        "state_bodies",
        r"(государственн|правоохранительн|уполномоченн|судебн)\w* (и (правоохранительн|судебн)\w* )?орган\w*|орган\w* государственной власти|мемлекеттік орган\w*|уәкілетті орган\w*|құқық қорғау орган\w*",
        ["мемлекеттік органдар", "государственные органы", "state bodies"],
    ),
    to("affiliates", r"аффилированн\w*|үлестес\w*", ["үлестес тұлғалар", "аффилированные лица", "affiliates"]),
    to("partners", r"партн[её]р\w*|серіктес\w*", ["серіктестер", "партнёры", "partners"]),
    to(
        "service_providers",
        r"поставщик\w* услуг|подрядчик\w*|қызмет (көрсетушілер|жеткізушілер)\w*",
        ["қызмет көрсетушілер", "поставщики услуг", "service providers"],
    ),
    to(
        "payment",
        r"платежн\w* (систем|сервис|агрегатор)\w*|(^|[^\p{L}])банк(ам|и|ов|у|а)?([^\p{L}]|$)|төлем жүйе\w*",
        ["төлем жүйелері мен банктер", "платёжные системы и банки", "payment systems and banks"],
    ),
    // ---- Where the data is, and for how long ----
    r(
        Storage,
        "storage",
        None,
        r"(хран|размещ|находя|сақта|орналас)\w*[^.;]*(территори|пределах|аумағында|серверах в|серверлерде)\w*[^.;]*",
        ["деректерді сақтау орны", "место хранения данных", "where data is stored"],
    ),
    r(
        CrossBorder,
        "cross_border",
        None,
        r"трансграничн\w*|за пределы (республики казахстан|рк|казахстана)|за рубеж\w*|в (другие|иные|третьи|некоторых|других) (стран|государств|юрисдикци)\w*|иностранн\w* (государств|юрисдикци)\w*|шетел\w*|трансшекаралық\w*|басқа елдер\w*",
        ["деректерді шетелге беру", "трансграничная передача", "transfer abroad"],
    ),
    r(
        Retention,
        "unlimited",
        None,
        r"без ограничения срока|бессрочно|мерзімсіз|мерзімі шектелмей\w*",
        ["Мерзімі шектелмейді.", "Без ограничения срока.", "No time limit."],
    ),
    r(
        Retention,
        "as_the_law_provides",
        None,
        r"срок\w* хранения[^.;]*в соответствии с (закон|нормативн)\w*|сақтау мерзім\w*[^.;]*заң\w*",
        ["Заңда белгіленген мерзім ішінде.", "В сроки, установленные законом.", "For the period the law sets."],
    ),
    // ---- What the user can do, and what the law does not allow ----
    r(
        Withdrawal,
        "withdraw_consent",
        None,
        r"отозвать (сво[её] )?согласи\w*|отзыв\w* (сво\w* )?согласи\w*|отказаться от (рассылк|обработк|получени)\w*|келісім\w*[^.;]*(кері )?қайтарып ал\w*|келісімнен бас тарт\w*",
        ["келісімді кері қайтарып алу", "отзыв согласия", "withdrawing consent"],
    ),
    r(
        Withdrawal,
        "browser_settings",
        None,
        r"(отключ|удал|отклон|запре|блокир|контрол)\w*[^.;]*(cookie|куки)\w*|в настройках (вашего )?(интернет-)?браузера|браузер\w* баптау\w*",
        [
            "браузер баптауларында cookie файлдарын өшіру немесе жою",
            "отключение или удаление cookie в настройках браузера",
            "turning off or deleting cookies in the browser settings",
        ],
    ),
    r(
        ImpliedConsent,
        "implied_consent",
        None,
        r"(использовани|начал\w* использования|продолжени\w* использования)\w*([^.;]|\.[a-z])*(означает|является|считается)[^.;]*(согласи|акцепт)\w*|(безусловн|безоговорочн)\w* (акцепт|согласи)\w*|используя [^.;]*(соглашаетесь|даете согласие)|продолжая (использовать|пользоваться)\w*|пайдалану\w*[^.;]*келісім\w* (білдіреді|болып табылады)|пайдалана отырып[^.;]*келісесіз",
        [
            "сайтты пайдалану келісім деп есептеледі",
            "использование сайта считается согласием",
            "using the site is taken as consent",
        ],
    ),
    r(
        LegitimateInterest,
        "legitimate_interest",
        None,
        r"(для|в целях) осуществлени\w* прав\w* и законн\w* интерес\w*|заңды мүдде\w*",
        ["заңды мүдделер негіз ретінде", "законные интересы как основание", "legitimate interests as a basis"],
    ),
];

/// A named service: the draft lists it under its category with its provider. The provider
/// and country come from this table, not from the policy, and the draft says so.
/// A service of the catalogue (shared/catalogue/services.toml) may leave `provider`, `country`
/// and `description` empty: they come from its catalogue entry ([`KnownService::provider`]…).
pub struct KnownService {
    pub id: &'static str,
    pub name: &'static str,
    pub provider: Texts,
    pub country: &'static str,
    pub category: CategoryId,
    pub cookies: &'static [&'static str],
    pub pattern: &'static str,
    pub description: Texts,
}

/// A catalogue service the importer recognises by `pattern`: the rest is the catalogue's.
const fn catalogued(id: &'static str, name: &'static str, category: CategoryId, pattern: &'static str) -> KnownService {
    KnownService {
        id,
        name,
        provider: ["", "", ""],
        country: "",
        category,
        cookies: &[],
        pattern,
        description: ["", "", ""],
    }
}

impl KnownService {
    fn entry(&self) -> Option<&'static kelisim_shared::catalogue::Entry> {
        kelisim_shared::catalogue::get(self.id)
    }

    /// The company behind it, in kk, ru, en: this table's names, else the catalogue's operator.
    pub fn provider(&self) -> Texts {
        match self.entry().filter(|_| self.provider[0].is_empty()) {
            Some(e) => [e.operator.as_str(); 3],
            None => self.provider,
        }
    }

    /// The operator's country (ISO 3166-1 alpha-2).
    pub fn country(&self) -> &'static str {
        match self.entry().filter(|_| self.country.is_empty()) {
            Some(e) => e.country.as_str(),
            None => self.country,
        }
    }

    /// What it does, in kk, ru, en.
    pub fn description(&self) -> Texts {
        match self.entry().filter(|_| self.description[0].is_empty()) {
            Some(e) => {
                let d = &e.description;
                [d.kk.as_deref().unwrap_or(""), d.ru.as_deref().unwrap_or(""), d.en.as_deref().unwrap_or("")]
            }
            None => self.description,
        }
    }
}

pub const SERVICES: &[KnownService] = &[
    KnownService {
        id: "yandex-metrica",
        name: "Yandex.Metrica",
        provider: ["«Яндекс» ЖШҚ", "ООО «Яндекс»", "Yandex LLC"],
        country: "RU",
        category: Analytics,
        cookies: &["_ym_*"],
        pattern: r"яндекс[\s.-]*метрик\w*|yandex[\s.-]*metri[ck]a|(?-u:\bmetrika\b)",
        description: [
            "Сайтқа кірулерді санайтын сервис.",
            "Сервис подсчёта посещений сайта.",
            "A service that counts visits to the site.",
        ],
    },
    KnownService {
        id: "google-analytics",
        name: "Google Analytics",
        provider: ["Google LLC", "Google LLC", "Google LLC"],
        country: "US",
        category: Analytics,
        cookies: &["_ga", "_ga_*", "_gid"],
        pattern: r"google[\s-]*analytics|(google|гугл)[\s-]*аналитик\w*",
        description: [
            "Сайтқа кірулерді санайтын сервис.",
            "Сервис подсчёта посещений сайта.",
            "A service that counts visits to the site.",
        ],
    },
    KnownService {
        id: "hotjar",
        name: "Hotjar",
        provider: ["Hotjar Ltd", "Hotjar Ltd", "Hotjar Ltd"],
        country: "MT",
        category: Analytics,
        cookies: &["_hj*"],
        pattern: r"(?-u:\bhotjar\b)",
        description: [
            "Сайттың пайдаланылуын талдайтын сервис.",
            "Сервис анализа использования сайта.",
            "A service that analyses how the site is used.",
        ],
    },
    KnownService {
        id: "google-ads",
        name: "Google Ads",
        provider: ["Google LLC", "Google LLC", "Google LLC"],
        country: "US",
        category: Marketing,
        cookies: &["_gcl_*"],
        pattern: r"google[\s-]*(ads|adwords)|doubleclick",
        description: ["Жарнама көрсететін сервис.", "Сервис показа рекламы.", "An advertising service."],
    },
    KnownService {
        id: "yandex-direct",
        name: "Yandex Direct",
        provider: ["«Яндекс» ЖШҚ", "ООО «Яндекс»", "Yandex LLC"],
        country: "RU",
        category: Marketing,
        cookies: &[],
        pattern: r"яндекс[\s.-]*директ\w*|yandex[\s.-]*direct",
        description: ["Жарнама көрсететін сервис.", "Сервис показа рекламы.", "An advertising service."],
    },
    KnownService {
        id: "meta-pixel",
        name: "Meta Pixel",
        provider: ["Meta Platforms, Inc.", "Meta Platforms, Inc.", "Meta Platforms, Inc."],
        country: "US",
        category: Marketing,
        cookies: &["_fbp"],
        pattern: r"(facebook|meta|фейсбук)[\s-]*(pixel|пиксел\w*)|(pixel|пиксел\w*)[\s-]*(facebook|meta|фейсбук)",
        description: [
            "Жарнаманың тиімділігін өлшейтін пиксель.",
            "Пиксель для оценки эффективности рекламы.",
            "A pixel that measures how well ads work.",
        ],
    },
    KnownService {
        id: "vk-pixel",
        name: "VK Pixel",
        provider: ["VK", "VK", "VK"],
        country: "RU",
        category: Marketing,
        cookies: &[],
        pattern: r"(vk|вконтакте)[\s-]*(pixel|пиксел\w*)|(pixel|пиксел\w*)[\s-]*(vk|вконтакте)",
        description: [
            "Жарнаманың тиімділігін өлшейтін пиксель.",
            "Пиксель для оценки эффективности рекламы.",
            "A pixel that measures how well ads work.",
        ],
    },
    // The other services of the catalogue a policy may name (Telegram is left out: a policy
    // names it far more often as a way to write to the operator than as a widget on the site).
    catalogued(
        "google-tag-manager",
        "Google Tag Manager",
        Necessary,
        r"google[\s-]*tag[\s-]*manager|диспетчер\w* тегов google",
    ),
    catalogued(
        "top-mail-ru",
        "Top@Mail.Ru",
        Analytics,
        r"(^|[^\p{L}\p{N}._@-])(top|топ|рейтинг)\s*@\s*mail\.ru|(?-u:\btop\.mail\.ru\b)",
    ),
    catalogued(
        "tiktok-pixel",
        "TikTok Pixel",
        Marketing,
        r"tik[\s-]*tok[\s-]*(pixel|пиксел\w*)|(pixel|пиксел\w*)[\s-]*tik[\s-]*tok",
    ),
    catalogued("liveinternet", "LiveInternet", Analytics, r"liveinternet|лайвинтернет\w*"),
    catalogued("microsoft-clarity", "Microsoft Clarity", Analytics, r"microsoft[\s-]*clarity"),
    catalogued("jivo", "Jivo", Functional, r"(?-u:\bjivo(site|chat)?\b)|живосайт\w*"),
    catalogued("bitrix24", "Bitrix24", Functional, r"битрикс[\s-]*24|bitrix[\s-]*24"),
    catalogued(
        "yandex-maps",
        "Yandex Maps",
        Functional,
        r"яндекс[\s.-]*карт(ы|ах|ам|ами|а|е|у)?([^\p{L}]|$)|yandex[\s.-]*maps?",
    ),
    catalogued("twogis", "2GIS", Functional, r"2\s?гис|(?-u:\b2\s?gis\b)|дубльгис\w*"),
    catalogued("google-maps", "Google Maps", Marketing, r"google[\s-]*maps|(google|гугл)[\s-]*карт\w*"),
    catalogued("youtube", "YouTube", Marketing, r"youtube|ютуб\w*"),
    catalogued("vimeo", "Vimeo", Analytics, r"(?-u:\bvimeo\b)"),
    catalogued("google-recaptcha", "Google reCAPTCHA", Necessary, r"re[\s-]?captcha|рекапч\w*"),
    catalogued("yandex-smartcaptcha", "Yandex SmartCaptcha", Necessary, r"smart[\s-]?captcha|смарткапч\w*"),
    catalogued("cloudflare", "Cloudflare", Necessary, r"cloudflare|клаудфл[еэ]р\w*"),
];

/// Cookie names a policy may list, and the category they belong to. `*` as in the site file.
pub const COOKIES: &[(&str, &str, CategoryId)] = &[
    (r"(?-u:\b_ym_\w+|\b_ym\b)", "_ym_*", Analytics),
    (r"(?-u:\b_ga_\w+)", "_ga_*", Analytics),
    (r"(?-u:\b_ga\b)", "_ga", Analytics),
    (r"(?-u:\b_gid\b)", "_gid", Analytics),
    (r"(?-u:\b_fbp\b)", "_fbp", Marketing),
    (r"(?-u:\b_gcl_\w+)", "_gcl_*", Marketing),
    (r"(?-u:\bPHPSESSID\b)", "PHPSESSID", Necessary),
    (r"(?-u:\bJSESSIONID\b)", "JSESSIONID", Necessary),
    (r"(?-u:\bcsrftoken\b)", "csrftoken", Necessary),
    (r"(?-u:\bXSRF-TOKEN\b)", "XSRF-TOKEN", Necessary),
];

/// Country names (any case form) and their ISO 3166-1 alpha-2 codes.
pub const COUNTRIES: &[(&str, &str)] = &[
    ("KZ", r"казахстан\w*|қазақстан\w*|(^|[^\p{L}])рк([^\p{L}]|$)|(^|[^\p{L}])қр([^\p{L}]|$)"),
    ("RU", r"росси\w*|российск\w* федераци\w*|ресей\w*"),
    ("US", r"(^|[^\p{L}])сша([^\p{L}]|$)|соедин[её]нн\w* штат\w*|америк\w*|(^|[^\p{L}])ақш([^\p{L}]|$)"),
    ("DE", r"германи\w*"),
    ("NL", r"нидерланд\w*"),
    ("IE", r"ирланди\w*"),
    ("FI", r"финлянди\w*"),
    ("GB", r"великобритани\w*|ұлыбритани\w*"),
    ("CN", r"(^|[^\p{L}])кита\w*|қытай\w*"),
    ("TR", r"турци\w*|түркия\w*"),
    ("KG", r"кыргыз\w*|киргиз\w*|қырғыз\w*"),
    ("UZ", r"узбекистан\w*|өзбекстан\w*"),
    ("BY", r"беларус\w*"),
];

// ---- Value patterns: the operator's details, dates and addresses ----

/// A legal name: `ТОО «…»` (also Latin `TOO`, a common typo), `АО «…»`, `«…» ЖШС`, `ИП Фамилия И.О.`.
/// One level of nested quotes is allowed (ТОО «Компания «Альфа»»).
pub const LEGAL_NAME: &str = r#"(?:^|[^\p{L}])(?P<form>ТОО|TOO|АО|Товариществ\w* с ограниченной ответственностью|Акционерн\w* обществ\w*)\s*[«"“](?P<name>(?:[^«»"“”\n]|«[^«»\n]*»){1,80})[»"”]|[«"“](?P<kkname>(?:[^«»"“”\n]|«[^«»\n]*»){1,80})[»"”]\s*(?P<kkform>ЖШС|АҚ)(?:[^\p{L}]|$)|(?:^|[^\p{L}])(?P<ipform>ИП|Индивидуальн\w* предпринимател\w*|ЖК|Жеке кәсіпкер)\s+(?P<person>\p{Lu}\p{Ll}+(?:\s+\p{Lu}(?:\p{Ll}+|\.))(?:\s*\p{Lu}(?:\p{Ll}+|\.))?)"#;
/// A sentence that presents the operator (not just mentions a company).
pub const OPERATOR_MARKER: &str = r"далее[^)]{0,40}(оператор|компани|администраци|обществ)|обрабатыва\w*|оператор\w*|от имени|деректерді өңде\w*|бұдан әрі";
pub const BIN: &str = r"(?i)(?:БИН|ИИН|BIN|IIN|БСН|ЖСН)\s*[:№-]?\s*(\d{12})(?:\D|$)";
pub const EMAIL: &str = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";
pub const PHONE: &str = r"(?:\+\s?7|(?:^|[^\d+])8)[\s\u{a0}]*\(?\s*(\d{3})\s*\)?[\s\u{a0}-]*(\d{3})[\s\u{a0}-]*(\d{2})[\s\u{a0}-]*(\d{2})(?:\D|$)";
/// The address follows «находящимся по адресу:», «юридический адрес:», «мекенжайы:».
pub const ADDRESS: &str = r"(?i)(?:(?:находящ|расположенн|зарегистрированн)\w*\s+по\s+адресу|(?:юридическ|почтов|фактическ)\w*\s+адрес\w*|адрес\w* местонахождения|мекенжай\w*\s*:)\s*:?\s*(?P<address>[^;]{5,200})";
/// What an address looks like: a city, street, building or postcode.
pub const ADDRESS_SHAPE: &str =
    r"(?i)республик|г\.|город|ул\.|улиц|пр\.|просп|мкр|микрорайон|д\.|дом|офис|\d{6}|қ\.|қаласы|көше|даңғыл|ауданы";
pub const URL: &str = r"https?://[^\s<>«»\x22'(),;]+";
/// A bare domain of the site; not part of an e-mail, URL or quoted brand name.
pub const DOMAIN: &str = r"(?i)(?:^|[^\p{L}\p{N}@./«\x22_-])(?P<host>(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:kz|ru|com|net|org|info|shop|store|online|site))(?:[^\p{L}\p{N}@_-]|$)";
/// Hosts that are never the site's own (links to services, social networks, laws).
pub const FOREIGN_HOSTS: &[&str] = &[
    "yandex.",
    "google.",
    "gstatic.",
    "facebook.",
    "instagram.",
    "vk.com",
    "mail.ru",
    "t.me",
    "telegram.",
    "youtube.",
    "whatsapp.",
    "apple.",
    "microsoft.",
    "mozilla.",
    "opera.",
    "tiktok.",
    "zan.kz",
    "gov.kz",
    "egov.kz",
    "kaspi.kz",
];
/// Where the policy states its own address.
pub const POLICY_URL_MARKER: &str = r"(?i)(размещен|доступн|опубликован|находится)\w*[^.;]{0,60}(по адресу|на странице)|(орналастырылған|қолжетімді|жарияланған)";
pub const DATE_NUMERIC: &str = r"(?:^|[^\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})(?:[^\d]|$)";
pub const DATE_ISO: &str = r"(?:^|[^\d])(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})(?:[^\d]|$)";
pub const DATE_RU: &str = r"(?i)«?(?P<d>\d{1,2})»?\s+(?P<mon>январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*\s+(?P<y>(?:19|20)\d{2})";
pub const DATE_KK: &str = r"(?i)(?P<y>(?:19|20)\d{2})\s*(?:ж\.|жыл\w*)\s*«?(?P<d>\d{1,2})»?\s*(?P<mon>қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан)\w*";
pub const MONTHS: &[&str] = &[
    "январ|қаңтар",
    "феврал|ақпан",
    "март|наурыз",
    "апрел|сәуір",
    "ма[йя]|мамыр",
    "июн|маусым",
    "июл|шілде",
    "август|тамыз",
    "сентябр|қыркүйек",
    "октябр|қазан",
    "ноябр|қараша",
    "декабр|желтоқсан",
];
/// A date that is a law's date, not the policy's: «Закон … от 21 мая 2013 года № 94-V»,
/// «2013 жылғы 21 мамырдағы № 94-V Заңы».
pub const LAW_NUMBER_AFTER: &str = r"^\w*\s*(?:г\.|года|жылғы|ж\.)?\s*№";
/// A date near one of these words is the policy's own date or version.
pub const DATE_MARKER: &str = r"(?i)обновл\w*|редакци\w*|утвержд\w*|вступа\w* в силу|действует с|дата\w*|введен\w*|жаңарт\w*|бекіт\w*|күшіне ен\w*|өзгерт\w*";
pub const VERSION: &str = r"(?i)(?:редакция|версия|нұсқа\w*)\s*(?:№\s*)?(?P<v>\d+(?:\.\d+)*)";
/// A retention term: «в течение 3 лет», «2 жыл бойы».
pub const RETENTION_TERM: &str = r"(?i)(?:в течение|на срок|не более|не дольше)\s+(?P<n>\d{1,3})\s+(?P<unit>лет|год\w*|месяц\w*|дн\w*|суток|календарн\w* дн\w*)|(?P<kn>\d{1,3})\s+(?P<kunit>жыл|ай|күн)\w*\s+(?:бойы|ішінде)";
/// A retention term counts only in a sentence about keeping data.
pub const RETENTION_CONTEXT: &str = r"(?i)хран\w*|cookie|куки|сақта\w*";
/// Handing data over: the context a recipient rule needs.
pub const TRANSFER_CONTEXT: &str = r"(?i)переда\w*|передач\w*|раскры\w*|полученн\w* от (компании|оператора|нас|сайта)|беріл\w*|беру\w*|береді|табыста\w*";
/// A sentence introducing the cases in which data may be handed over.
pub const TRANSFER_CASES_LEAD: &str =
    r"(?i)(переда\w*|передач\w*|беру\w*)[^:]{0,200}(в следующих случаях|в случаях|жағдайларда)";
/// A definition: «Term» — meaning.
pub const DEFINITION: &str =
    r"^\s*(?:[«\x22“][^»\x22”]{1,80}[»\x22”]\s*(?:\(|[—–-]|\p{Ll}|это)|\p{Lu}[^.,:;«»()]{0,60}\s[—–]\s)";
