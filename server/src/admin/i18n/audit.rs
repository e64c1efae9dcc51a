//! The audit trail's entries and the integrity line of the Export page, said in the page's
//! language. The trail stores an action code (`login.failed`, `policy.publish`…, written by
//! `Accounts::record` and `auth`) and a detail in English, which is a record and stays as
//! stored: the page shows a sentence for the code and the detail beside it as data.

use super::count::{count, Noun, CHECKPOINT, RECORD};
use crate::log::audit::Audited;
use kelisim_shared::lang::Lang;

fn pick(l: Lang, kk: &'static str, ru: &'static str, en: &'static str) -> &'static str {
    match l {
        Lang::Kk => kk,
        Lang::Ru => ru,
        Lang::En => en,
    }
}

/// What an audit entry says was done, as a sentence; `None` for a code this version does not
/// know (the page then shows the code itself).
pub fn action(l: Lang, code: &str) -> Option<&'static str> {
    Some(match code {
        "login" => pick(l, "Жүйеге кірді", "Вход в систему", "Signed in"),
        "login.failed" => pick(
            l,
            "Жүйеге кіре алмады: аты немесе құпиясөзі қате",
            "Неудачная попытка входа: неверное имя или пароль",
            "Failed to sign in: wrong user name or password",
        ),
        "logout" => pick(l, "Жүйеден шықты", "Выход из системы", "Signed out"),
        "account.add" => pick(l, "Есептік жазба қосты", "Добавлена учётная запись", "Added an account"),
        "account.disable" => pick(l, "Есептік жазбаны өшірді", "Отключена учётная запись", "Disabled an account"),
        "account.enable" => pick(l, "Есептік жазбаны қосты", "Включена учётная запись", "Enabled an account"),
        "token.create" => pick(l, "API токенін жасады", "Создан API-токен", "Created an API token"),
        "token.revoke" => pick(l, "API токенін кері қайтарды", "Отозван API-токен", "Revoked an API token"),
        "policy.publish" => pick(
            l,
            "Сайт саясатының жаңа нұсқасын жариялады",
            "Опубликована новая версия политики сайта",
            "Published a new version of a site policy",
        ),
        "scan.check" => pick(l, "Сайтты тексеруді іске қосты", "Запущена проверка сайта", "Started a check of a site"),
        "scan.start" => {
            pick(l, "Сайтты сканерлеуді іске қосты", "Запущено сканирование сайта", "Started a scan of a site")
        }
        "scan.schedule" => pick(
            l,
            "Сайтты сканерлеу кестесін өзгертті",
            "Изменено расписание сканирования сайта",
            "Changed a site's scan schedule",
        ),
        "verify" => {
            pick(l, "Журналдың тұтастығын тексерді", "Проверка целостности журнала", "Verified a log's integrity")
        }
        "export" => pick(l, "Мұрағатты жүктеп алды", "Выгружен архив журнала", "Exported a bundle of a log"),
        _ => return None,
    })
}

/// The site an entry's detail names (`site ID: …` / `site ID, …`), if it names one.
pub fn site_of(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("site ")?;
    let end = rest.find([':', ',', ' ']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|s| !s.is_empty())
}

/// The word before a site's id in an entry: «сайт demo».
pub fn site_word(l: Lang) -> &'static str {
    pick(l, "сайт", "сайт", "site")
}

fn n(l: Lang, n: u64, noun: &Noun) -> String {
    count(l, n, noun)
}

/// "19 records (0 purged), 3 signed checkpoints" in `l`; the CLI keeps `Audited`'s English
/// `Display`.
pub fn integrity(l: Lang, a: &Audited) -> String {
    let mut s = match l {
        Lang::Kk => format!(
            "{} (оның ішінде сақтау мерзімі өтіп тазартылғаны: {}), {}",
            n(l, a.records, &RECORD),
            a.purged,
            n(l, a.checkpoints, &CHECKPOINT)
        ),
        Lang::Ru => format!(
            "{} (из них очищено по сроку хранения: {}), {}",
            n(l, a.records, &RECORD),
            a.purged,
            n(l, a.checkpoints, &CHECKPOINT)
        ),
        Lang::En => {
            format!("{} ({} purged), {}", n(l, a.records, &RECORD), a.purged, n(l, a.checkpoints, &CHECKPOINT))
        }
    };
    if a.checked < a.records {
        let (from, to) = (a.records - a.checked + 1, a.records);
        s.push_str(&match l {
            Lang::Kk => format!("; {from}–{to} жазбалары бұрын тексерілген күйге қарсы тексерілді"),
            Lang::Ru => format!("; записи {from}–{to} проверены от ранее проверенного состояния"),
            Lang::En => format!("; checked records {from}–{to} against the state verified before"),
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integrity_line_is_in_the_pages_language() {
        let a = Audited { records: 19, purged: 0, checked: 19, checkpoints: 3, ..Audited::default() };
        assert_eq!(integrity(Lang::En, &a), a.to_string(), "English says what the CLI says");
        assert_eq!(
            integrity(Lang::Ru, &a),
            "19 записей (из них очищено по сроку хранения: 0), 3 подписанные контрольные точки"
        );
        assert!(integrity(Lang::Kk, &a).starts_with("19 жазба ("), "{}", integrity(Lang::Kk, &a));
        assert_eq!(site_of("site webpulse: intact"), Some("webpulse"));
        assert_eq!(site_of("site demo, …: 3 records"), Some("demo"));
        assert_eq!(action(Lang::Ru, "login.failed"), Some("Неудачная попытка входа: неверное имя или пароль"));
    }
}
