//! The words of the site editor (the site policy file as a form), in Kazakh, Russian and
//! English: the page's own, and a label for each field of `admin::editor::fields`.

use kelisim_shared::lang::Lang;

pub struct EditorWords {
    /// The tab of the form.
    pub tab: &'static str,
    /// The tab of the raw file.
    pub tab_file: &'static str,
    /// The editor's name in the site's navigation.
    pub nav: &'static str,
    pub note: &'static str,
    pub up: &'static str,
    /// Above services a category names by catalogue id (`service = "yandex-metrica"`).
    pub catalogue_refs: &'static str,
    pub down: &'static str,
    pub remove: &'static str,
    pub has_errors: &'static str,
    /// Above the problems that belong to no field of the form.
    pub elsewhere: &'static str,
    pub edited: &'static str,
    pub read_only: &'static str,
    pub not_toml: &'static str,
}

pub fn editor_words(lang: Lang) -> &'static EditorWords {
    match lang {
        Lang::Kk => &EditorWords {
            tab: "Пішін",
            tab_file: "TOML файлы",
            nav: "Сайт редакторы",
            note: "Сайттың баптаулары мен келушілер көретін мәтіндер. «Тексеру» әр қатені өз өрісінің жанында көрсетеді; «Жариялау» файлды сақтайды, ол сервер қайта іске қосылмай-ақ күшіне енеді. Файлдағы түсініктемелер мен ретімен жазылған мәндер өзгеріссіз қалады.",
            up: "Жоғары",
            catalogue_refs: "Сервистер каталогынан (атауы, келушілер оқитын атауы, провайдері, елі, сипаттамасы мен cookie файлдары сол жерден алынады; өзгерту үшін TOML файлы қойындысын пайдаланыңыз):",
            down: "Төмен",
            remove: "Алып тастау",
            has_errors: "Пішінде қателер бар, ештеңе жарияланбады. Әр қате өз өрісінің жанында көрсетілген.",
            elsewhere: "Пішіннің ешбір өрісіне жатпайтын қателер:",
            edited: "Пішін өзгертілді, бірақ әлі ештеңе жарияланған жоқ: толтырып, тексеріп, «Жариялау» түймесін басыңыз.",
            read_only: "Аудитор рөлі пішінді оқи және тексере алады, бірақ өзгерте де, жариялай да алмайды.",
            not_toml: "Файл TOML ретінде оқылмады, сондықтан пішінде көрсетілмейді. Оны «TOML файлы» бетінде түзетіңіз:",
        },
        Lang::Ru => &EditorWords {
            tab: "Форма",
            tab_file: "Файл TOML",
            nav: "Редактор сайта",
            note: "Настройки сайта и тексты, которые видят посетители. «Проверить» показывает каждую ошибку рядом с её полем; «Опубликовать» сохраняет файл, и он начинает действовать без перезапуска сервера. Комментарии в файле и всё, что вы не меняли, остаются как были.",
            up: "Выше",
            catalogue_refs: "Из каталога сервисов (название, название для посетителей, провайдер, страна, описание и cookie берутся оттуда; изменить можно на вкладке «Файл TOML»):",
            down: "Ниже",
            remove: "Удалить",
            has_errors: "В форме есть ошибки, ничего не опубликовано. Каждая ошибка показана рядом с её полем.",
            elsewhere: "Ошибки, не относящиеся ни к одному полю формы:",
            edited: "Форма изменена, но ещё ничего не опубликовано: заполните, проверьте и нажмите «Опубликовать».",
            read_only: "Роль аудитора позволяет читать и проверять форму, но не менять и не публиковать её.",
            not_toml: "Файл не читается как TOML, поэтому форма его не показывает. Исправьте его на вкладке «Файл TOML»:",
        },
        Lang::En => &EditorWords {
            tab: "Form",
            tab_file: "TOML file",
            nav: "Site editor",
            note: "The site's settings and the texts visitors see. Check shows each problem next to its field; Publish saves the file, which takes effect without restarting the server. The file's comments, and everything you did not change, stay as they were.",
            up: "Up",
            catalogue_refs: "From the services catalogue (name, the name visitors read, provider, country, description and cookies come from there; change them on the TOML file tab):",
            down: "Down",
            remove: "Remove",
            has_errors: "The form has problems and nothing was published. Each problem is shown next to its field.",
            elsewhere: "Problems that belong to no field of the form:",
            edited: "The form is changed but nothing is published yet: fill it in, check it and press Publish.",
            read_only: "The auditor role can read and check the form, not change or publish it.",
            not_toml: "The file cannot be read as TOML, so the form cannot show it. Fix it on the TOML file tab:",
        },
    }
}

/// The label of a field (`fields::Field::label`), of a list's entry (`LABEL.one`) and of its
/// add button (`LABEL.add`), and of a choice (`ip_storage.VALUE`); `?` for an unknown id.
pub fn label(lang: Lang, id: &str) -> &'static str {
    let [kk, ru, en] = site_label(id).or_else(|| category_label(id)).unwrap_or(["?", "?", "?"]);
    match lang {
        Lang::Kk => kk,
        Lang::Ru => ru,
        Lang::En => en,
    }
}

/// The site's settings and its operator.
fn site_label(id: &str) -> Option<[&'static str; 3]> {
    Some(match id {
        "site" => ["Сайт", "Сайт", "Site"],
        "site.name" => ["Сайттың атауы", "Название сайта", "Site name"],
        "origins" => [
            "Сайттың мекенжайлары (origin, әр жолға біреу)",
            "Адреса сайта (origin, по одному в строке)",
            "Site origins (one per line)",
        ],
        "policy_url" => {
            ["Құпиялық саясатының сілтемесі", "Ссылка на политику конфиденциальности", "Privacy policy URL"]
        }
        "policy_version" => {
            ["Саясат нұсқасы (мысалы, күні)", "Версия политики (например, дата)", "Policy version (e.g. its date)"]
        }
        "languages" => [
            "Тілдер: kk, ru, en (біріншісі — әдепкі)",
            "Языки: kk, ru, en (первый — по умолчанию)",
            "Languages: kk, ru, en (the first is the default)",
        ],
        "consent_days" => ["Келісім мерзімі, күн", "Срок действия согласия, дней", "Consent term, days"],
        "ip_storage" => ["Журналда IP мекенжайы", "IP-адрес в журнале", "IP address in the log"],
        "ip_storage.truncated" => {
            ["қысқартылып сақталады (/24, /48)", "хранится усечённым (/24, /48)", "kept truncated (/24, /48)"]
        }
        "ip_storage.full" => ["толық сақталады", "хранится полностью", "kept in full"],
        "ip_storage.none" => ["сақталмайды", "не хранится", "not kept"],
        "retention_days" => [
            "Келісім журналын сақтау мерзімі, күн",
            "Срок хранения журнала согласий, дней",
            "Consent log kept for, days",
        ],
        "reload_on_revoke" => [
            "Келісім кері қайтарылғанда бетті қайта жүктеу",
            "Перезагружать страницу при отзыве согласия",
            "Reload the page when consent is withdrawn",
        ],
        "floating_button" => [
            "Таңдауды өзгертуге арналған қалқымалы түйме",
            "Плавающая кнопка для изменения выбора",
            "Floating button to change the choice",
        ],
        "timezone" => [
            "Басқару тақтасындағы уақыт белдеуі (IANA атауы; бос болса — Asia/Almaty)",
            "Часовой пояс панели управления (имя IANA; если пусто — Asia/Almaty)",
            "Time zone of the dashboard (an IANA name; empty: Asia/Almaty)",
        ],
        "auto_block" => {
            ["Трекерлерді белгілеусіз бұғаттау", "Блокировка трекеров без разметки", "Blocking trackers with no markup"]
        }
        "auto_block.declared" => {
            ["санаттарда аталған сервистердікі", "сервисов, названных в категориях", "the services the categories name"]
        }
        "auto_block.catalogue" => {
            ["каталогтағы барлық сервистердікі", "всех сервисов каталога", "every service of the catalogue"]
        }
        "operator" => ["Дербес деректер операторы", "Оператор персональных данных", "Personal data operator"],
        "operator.name" => ["Заңды атауы", "Юридическое название", "Legal name"],
        "operator.address" => ["Мекенжайы", "Адрес", "Address"],
        "operator.responsible_person" => [
            "Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға",
            "Ответственный за организацию обработки персональных данных",
            "Person responsible for organising the processing",
        ],
        "operator.bin" => ["БСН", "БИН", "BIN"],
        "operator.email" => ["Электрондық пошта", "Электронная почта", "E-mail"],
        "operator.phone" => ["Телефон", "Телефон", "Phone"],
        "operator.storage_country" => [
            "Деректер сақталатын ел (мысалы, KZ)",
            "Страна хранения данных (например, KZ)",
            "Country where the data is kept (e.g. KZ)",
        ],
        "appearance" => ["Баннердің көрінісі", "Внешний вид баннера", "The banner's look"],
        "appearance.position" => ["Орны", "Расположение", "Position"],
        "position.bottom" => ["Төменде, ортада", "Внизу по центру", "Bottom, centred"],
        "position.bottom-left" => ["Төменгі сол жақ бұрышта", "В левом нижнем углу", "Bottom-left corner"],
        "position.center" => ["Экран ортасында", "В центре экрана", "Centre of the screen"],
        "appearance.accent" => [
            "Негізгі түс: түймелер мен сілтемелер (#rrggbb)",
            "Основной цвет: кнопки и ссылки (#rrggbb)",
            "Accent: buttons and links (#rrggbb)",
        ],
        "appearance.accent_text" => {
            ["Түймелердегі мәтіннің түсі", "Цвет текста на кнопках", "Text colour on the buttons"]
        }
        "appearance.background" => ["Фон түсі", "Цвет фона", "Background colour"],
        "appearance.text" => ["Мәтін түсі", "Цвет текста", "Text colour"],
        "appearance.radius" => {
            ["Бұрыштардың дөңгелектігі (0–24 px)", "Скругление углов (0–24 px)", "Corner radius (0–24 px)"]
        }
        "appearance.font" => [
            "Қаріп (CSS font-family, мысалы \"PT Sans\", sans-serif)",
            "Шрифт (CSS font-family, например \"PT Sans\", sans-serif)",
            "Font (CSS font-family, e.g. \"PT Sans\", sans-serif)",
        ],
        "appearance.logo" => [
            "Логотип (https://… немесе сайттағы /жол)",
            "Логотип (https://… или путь на сайте /…)",
            "Logo (https://… or a path on the site /…)",
        ],
        "appearance.reopen_corner" => [
            "Таңдауды өзгерту түймесінің бұрышы",
            "Угол кнопки изменения выбора",
            "Corner of the change-my-choice button",
        ],
        "corner.left" => ["Сол жақта", "Слева", "Left"],
        "corner.right" => ["Оң жақта", "Справа", "Right"],
        _ => return None,
    })
}

/// A category and what it holds.
fn category_label(id: &str) -> Option<[&'static str; 3]> {
    Some(match id {
        "category" => ["Санаттар", "Категории", "Categories"],
        "category.one" => ["Санат", "Категория", "Category"],
        "category.add" => ["Санат қосу", "Добавить категорию", "Add a category"],
        "category.id" => ["Идентификатор (латын әріптерімен)", "Идентификатор (латиницей)", "Id (Latin letters)"],
        "category.required" => [
            "Міндетті санат (әрдайым қосулы)",
            "Обязательная категория (всегда включена)",
            "Required category (always on)",
        ],
        "category.title" => ["Атауы", "Название", "Title"],
        "category.description" => ["Сипаттамасы", "Описание", "Description"],
        "category.data" => [
            "Жиналатын деректер (әр жолға біреу)",
            "Какие данные собираются (по одному в строке)",
            "Data collected (one per line)",
        ],
        "category.purposes" => ["Мақсаттары (әр жолға біреу)", "Цели (по одной в строке)", "Purposes (one per line)"],
        "category.retention" => ["Сақтау мерзімі", "Срок хранения", "Retention"],
        "third_parties" => ["Деректерді алушылар", "Получатели данных", "Data recipients"],
        "third_parties.one" => ["Алушы", "Получатель", "Recipient"],
        "third_parties.add" => ["Алушы қосу", "Добавить получателя", "Add a recipient"],
        "third_party.name" => ["Атауы", "Название", "Name"],
        "third_party.country" => ["Елі (мысалы, KZ)", "Страна (например, KZ)", "Country (e.g. KZ)"],
        "third_party.purpose" => ["Деректерді не үшін алады", "Для чего получает данные", "Why it receives the data"],
        "cross_border" => ["Деректерді шетелге беру", "Передача за рубеж", "Cross-border transfer"],
        "cross_border.transfer" => ["Деректер шетелге беріледі", "Данные передаются за рубеж", "The data goes abroad"],
        "cross_border.countries" => [
            "Елдер (әр жолға біреу, мысалы US)",
            "Страны (по одной в строке, например US)",
            "Countries (one per line, e.g. US)",
        ],
        "category.cookies" | "service.cookies" => [
            "Cookie файлдары (әр жолға біреу; * — кез келген таңбалар)",
            "Файлы cookie (по одному в строке; * — любые символы)",
            "Cookies (one per line; * stands for any characters)",
        ],
        "category.consent_mode" => {
            ["Google Consent Mode түрлері", "Типы Google Consent Mode", "Google Consent Mode types"]
        }
        "category.gpc_off" => [
            "GPC сигналы болса, «Барлығын қабылдау» басылса да қосылмайды",
            "При сигнале GPC не включается даже по «Принять все»",
            "With a GPC signal, stays off even on Accept all",
        ],
        "service" => ["Сервистер", "Сервисы", "Services"],
        "service.one" => ["Сервис", "Сервис", "Service"],
        "service.add" => ["Сервис қосу", "Добавить сервис", "Add a service"],
        "service.id" => ["Идентификатор (латын әріптерімен)", "Идентификатор (латиницей)", "Id (Latin letters)"],
        "service.name" => ["Атауы", "Название", "Name"],
        "service.title" => [
            "Келушілер оқитын атауы (бос болса — каталогтағы атау, ол жоқ болса — «Атауы»)",
            "Название для посетителей (если пусто — из каталога, иначе «Название»)",
            "Name as visitors read it (empty: the catalogue's, else the Name)",
        ],
        "service.provider" => {
            ["Оны ұсынатын компания", "Компания, которая его предоставляет", "Company that provides it"]
        }
        "service.country" => {
            ["Компанияның елі (мысалы, RU)", "Страна компании (например, RU)", "The company's country (e.g. RU)"]
        }
        "service.description" => ["Сипаттамасы", "Описание", "Description"],
        "service.policy_url" => [
            "Сервистің құпиялық саясатының сілтемесі",
            "Ссылка на политику конфиденциальности сервиса",
            "The service's privacy policy URL",
        ],
        _ => return None,
    })
}
