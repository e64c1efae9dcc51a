//! The words of the pages that set a site up and change it: the refused-file notice on the
//! Sites page, the policy file page (and New site), the install page and the versions
//! comparison — in Kazakh, Russian and English.

use kelisim_shared::lang::Lang;

/// Above the list of sites when the last reload of `--sites` refused a file.
pub fn refused_files(l: Lang) -> &'static str {
    match l {
        Lang::Kk => "Сайт саясатының файлы қабылданбады — оны түзетіп, қайта сақтаңыз. Әзірге сайт бұрынғы нұсқасымен жұмыс істейді (егер ол болса)",
        Lang::Ru => "Файл политики сайта не принят — исправьте его и сохраните снова. Пока что сайт работает с прежней версией (если она была)",
        Lang::En => "A site policy file was refused — fix it and save it again. Until then its site keeps serving the previous version (if it had one)",
    }
}

/// The words of a site's policy file page (the raw-file editor).
pub struct PolicyWords {
    pub tab: &'static str,
    pub note: &'static str,
    pub check: &'static str,
    pub publish: &'static str,
    pub valid: &'static str,
    pub published: &'static str,
    pub unchanged: &'static str,
    pub changes: &'static str,
    pub asked_again: &'static str,
    pub not_asked_again: &'static str,
    pub has_errors: &'static str,
    pub read_only: &'static str,
    pub todos: &'static str,
    pub line: &'static str,
    pub new_site: &'static str,
    pub new_note: &'static str,
    pub new_id: &'static str,
    pub new_text: &'static str,
    pub new_draft: &'static str,
    pub new_taken: &'static str,
}

pub fn policy_words(lang: Lang) -> &'static PolicyWords {
    match lang {
        Lang::Kk => &PolicyWords {
            tab: "Саясат файлы",
            note: "Сайттың баптаулары мен келушілерге арналған мәтіндер осы файлда. Тексеріп, жариялаңыз: файл сайттар каталогына жазылады және сервер қайта іске қосылмай-ақ күшіне енеді. Пішімі: docs/site-policy.md.",
            check: "Тексеру",
            publish: "Жариялау",
            valid: "Файл дұрыс. Жаңа нұсқа",
            published: "Жарияланды. Қазір жұмыс істеп тұрған нұсқа",
            unchanged: "ештеңе",
            changes: "Келушілер үшін өзгеретіні",
            asked_again: "Келушілерден келісім қайта сұралады: санаттар немесе олардың мәтіндері өзгерді, ал келушілер бұрын басқа мәтінге келісім берген.",
            not_asked_again: "Келушілердің бұрынғы таңдауы күшінде қалады: санаттар мен олардың мәтіндері сол күйінде.",
            has_errors: "Файлда қателер бар, ол жарияланбады:",
            read_only: "Аудитор рөлі файлды оқи және тексере алады, бірақ жариялай алмайды.",
            todos: "Толтыру керек (TODO деп белгіленген жолдар):",
            line: "жол",
            new_site: "Жаңа сайт",
            new_note: "Сайттың құпиялық саясатының мәтінін (орысша немесе қазақша) қойыңыз: Kelisim одан сайт саясатының файлын дайындайды. Саясатта жоқ нәрсе TODO болып қалады — оларды толтырып, тексеріп, жариялайсыз.",
            new_id: "Сайт идентификаторы (латын әріптері, мысалы shop):",
            new_text: "Құпиялық саясатының мәтіні:",
            new_draft: "Жоба жасау",
            new_taken: "Бұл идентификатор бос емес",
        },
        Lang::Ru => &PolicyWords {
            tab: "Файл политики",
            note: "В этом файле — настройки сайта и тексты для посетителей. Проверьте и опубликуйте: файл записывается в каталог сайтов и начинает действовать без перезапуска сервера. Формат: docs/site-policy.md.",
            check: "Проверить",
            publish: "Опубликовать",
            valid: "Файл в порядке. Новая версия",
            published: "Опубликовано. Сейчас действует версия",
            unchanged: "ничего",
            changes: "Что изменится для посетителей",
            asked_again: "Посетителей спросят о согласии заново: изменились категории или их тексты, а согласие давали на прежние.",
            not_asked_again: "Прежний выбор посетителей остаётся в силе: категории и их тексты те же.",
            has_errors: "В файле есть ошибки, он не опубликован:",
            read_only: "Роль аудитора позволяет читать и проверять файл, но не публиковать его.",
            todos: "Осталось заполнить (строки с пометкой TODO):",
            line: "строка",
            new_site: "Новый сайт",
            new_note: "Вставьте текст политики конфиденциальности сайта (на русском или казахском): Kelisim подготовит по нему файл политики сайта. То, чего в политике нет, останется с пометкой TODO — заполните, проверьте и опубликуйте.",
            new_id: "Идентификатор сайта (латиницей, например shop):",
            new_text: "Текст политики конфиденциальности:",
            new_draft: "Подготовить черновик",
            new_taken: "Этот идентификатор уже занят",
        },
        Lang::En => &PolicyWords {
            tab: "Policy file",
            note: "This file holds the site's settings and the texts visitors see. Check it and publish: it is written to the sites directory and takes effect without restarting the server. Format: docs/site-policy.md.",
            check: "Check",
            publish: "Publish",
            valid: "The file is valid. New version",
            published: "Published. Version now served",
            unchanged: "nothing",
            changes: "What changes for visitors",
            asked_again: "Visitors will be asked for consent again: the categories or their texts changed, and visitors agreed to the earlier ones.",
            not_asked_again: "Visitors' earlier choices stand: the categories and their texts are the same.",
            has_errors: "The file has errors and was not published:",
            read_only: "The auditor role can read and check the file, not publish it.",
            todos: "Still to fill in (lines marked TODO):",
            line: "line",
            new_site: "New site",
            new_note: "Paste the site's privacy policy (in Russian or Kazakh): Kelisim drafts the site policy file from it. What the policy does not say is left as TODO — fill it in, check and publish.",
            new_id: "Site id (Latin letters, e.g. shop):",
            new_text: "Privacy policy text:",
            new_draft: "Draft the site file",
            new_taken: "This id is taken",
        },
    }
}

/// The words of a site's install page.
pub struct InstallWords {
    pub tab: &'static str,
    pub loader: &'static str,
    pub loader_note: &'static str,
    pub gate: &'static str,
    pub gate_note: &'static str,
    pub reopen: &'static str,
    pub reopen_note: &'static str,
    pub csp: &'static str,
    pub csp_note: &'static str,
    pub check: &'static str,
    pub check_note: &'static str,
    /// The comment in the example of an inline script.
    pub inline: &'static str,
}

pub fn install_words(lang: Lang) -> &'static InstallWords {
    match lang {
        Lang::Kk => &InstallWords {
            tab: "Орнату",
            loader: "1. Скриптті қосыңыз",
            loader_note: "Бұл жолды сайттың әр бетіндегі <head> ішіне ең бірінші болып қойыңыз — Google Tag Manager-ден және басқа кез келген тегтен бұрын. Сонда келуші таңдау жасағанға дейін ешбір трекер іске қосылмайды.",
            gate: "2. Келісім қажет ететін нәрсені белгілеңіз",
            gate_note: "Скриптің, iframe-нің немесе суреттің мекенжайын data-src атрибутына көшіріп, санатын data-category атрибутында көрсетіңіз. Келуші осы санатқа рұқсат бергенде ғана олар жүктеледі. Бұл сайттың санаттары:",
            reopen: "3. Таңдауды өзгертуге мүмкіндік беріңіз",
            reopen_note: "Кез келген бетте #kelisim сілтемесі баптауларды қайта ашады (мысалы, сайттың төменгі бөлігінде):",
            csp: "Content-Security-Policy қатаң болса",
            csp_note: "Скрипт тегіне nonce қосыңыз; саясатқа керегі осы ғана ({NONCE} — әр жауап үшін жаңа кездейсоқ мән):",
            check: "Тексеру",
            inline: "/* тек келісім берілгеннен кейін орындалады */",
            check_note: "Орнатқаннан кейін сайтты сканерлеңіз: таңдауға дейін және «Барлығынан бас тарту» басылғаннан кейін не сақталатынын және қандай сұраулар жіберілетінін көрсетеді. Нәтижесі «Сканерлеу» бетінде шығады:",
        },
        Lang::Ru => &InstallWords {
            tab: "Установка",
            loader: "1. Подключите скрипт",
            loader_note: "Поставьте эту строку первой в <head> каждой страницы сайта — раньше Google Tag Manager и любых других тегов. Тогда ни один трекер не запустится, пока посетитель не сделал выбор.",
            gate: "2. Отметьте то, что требует согласия",
            gate_note: "Перенесите адрес скрипта, iframe или картинки в атрибут data-src и укажите категорию в data-category: они загрузятся, только когда посетитель разрешит эту категорию. Категории этого сайта:",
            reopen: "3. Дайте возможность изменить выбор",
            reopen_note: "Ссылка на #kelisim на любой странице снова открывает настройки (например, в подвале сайта):",
            csp: "Если у сайта строгий Content-Security-Policy",
            csp_note: "Добавьте nonce к тегу скрипта; больше политике ничего не нужно ({NONCE} — новое случайное значение для каждого ответа):",
            check: "Проверка",
            inline: "/* выполнится только после согласия */",
            check_note: "После установки просканируйте сайт: сканер покажет, что сохраняется и какие запросы уходят до выбора и после «Отклонить все». Отчёт появится на странице «Сканирование»:",
        },
        Lang::En => &InstallWords {
            tab: "Install",
            loader: "1. Add the script",
            loader_note: "Put this line first in the <head> of every page of the site — before Google Tag Manager and any other tag. Then no tracker runs until the visitor has chosen.",
            gate: "2. Mark what needs consent",
            gate_note: "Move the address of a script, iframe or image into data-src and name its category in data-category: it loads only once the visitor allows that category. This site's categories:",
            reopen: "3. Let visitors change their choice",
            reopen_note: "A link to #kelisim on any page opens the preferences again (in the footer, for example):",
            csp: "If the site sends a strict Content-Security-Policy",
            csp_note: "Add a nonce to the script tag; that is all the policy needs ({NONCE}: a new random value for every response):",
            check: "Check",
            inline: "/* runs only once granted */",
            check_note: "Once installed, scan the site: the scanner shows what is stored and which requests leave before any choice and after Reject all. The report appears on the Scan page:",
        },
    }
}

/// The words of the versions comparison.
pub struct CompareWords {
    pub title: &'static str,
    pub older: &'static str,
    pub newer: &'static str,
    pub compare: &'static str,
    pub differ: &'static str,
    pub same: &'static str,
}

pub fn compare_words(lang: Lang) -> &'static CompareWords {
    match lang {
        Lang::Kk => &CompareWords {
            title: "Нұсқаларды салыстыру",
            older: "Бұрынғы:",
            newer: "Кейінгі:",
            compare: "Салыстыру",
            differ: "Өзгерген мәтіндер",
            same: "өзгермегендері",
        },
        Lang::Ru => &CompareWords {
            title: "Сравнение версий",
            older: "Прежняя:",
            newer: "Новая:",
            compare: "Сравнить",
            differ: "Изменённые тексты",
            same: "без изменений",
        },
        Lang::En => &CompareWords {
            title: "Versions compared",
            older: "Older:",
            newer: "Newer:",
            compare: "Compare",
            differ: "Texts that differ",
            same: "unchanged",
        },
    }
}
