//! The page's texts in Kazakh, Russian and English. `{…}` marks a value put in by the page.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("kk") => Some(Lang::Kk),
            Some("ru") => Some(Lang::Ru),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// A count with its thousands grouped as each language writes them.
    pub fn num(self, n: u64) -> String {
        let digits = n.to_string();
        let sep = if self == Lang::En { ',' } else { '\u{a0}' };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    pub fn seconds(self, s: f64) -> String {
        let v = if s < 10.0 { format!("{s:.2}") } else { format!("{s:.1}") };
        match self {
            Lang::En => format!("{v} s"),
            _ => format!("{} с", v.replace('.', ",")),
        }
    }
}

/// `[kk, ru, en]` per key.
const TEXTS: &[(&str, [&str; 3])] = &[
    ("title", ["Келісімдер журналының экспортын тексеру", "Проверка выгрузки журнала согласий", "Verify a consent log export"]),
    (
        "intro",
        [
            "Оператор берген экспорт архивін (.zip) таңдаңыз немесе осы бетке сүйреп әкеліңіз. Тексеру толығымен осы браузерде, желісіз жүреді: файл ешқайда жіберілмейді. Нәтиже `kelisim verify` бағдарламасының нәтижесімен бірдей.",
            "Выберите архив выгрузки (.zip), полученный от оператора, или перетащите его на эту страницу. Проверка идёт целиком в этом браузере, без сети: файл никуда не отправляется. Результат тот же, что у программы `kelisim verify`.",
            "Choose the export bundle (.zip) the operator gave you, or drop it onto this page. It is checked entirely in this browser, offline: the file is sent nowhere. The verdict is the one `kelisim verify` gives.",
        ],
    ),
    ("language", ["Тіл", "Язык", "Language"]),
    ("file_label", ["Экспорт архиві (.zip)", "Архив выгрузки (.zip)", "Export bundle (.zip)"]),
    ("drop", ["…немесе архивті осы жерге сүйреп әкеліңіз.", "…или перетащите архив сюда.", "…or drop the bundle here."]),
    ("stage_Files", ["Қолтаңбалар мен файлдар тексерілуде…", "Проверяются подписи и файлы…", "Checking the signatures and files…"]),
    ("stage_Records", ["Жазбалар тексерілуде: {done} / {total}", "Проверяются записи: {done} из {total}", "Checking the records: {done} of {total}"]),
    ("stage_Explaining", ["Қай файлдар өзгертілгені анықталуда…", "Выясняется, какие файлы изменены…", "Finding out which files were changed…"]),
    ("intact", ["Архив бүтін", "Архив цел", "Intact"]),
    ("not_intact", ["Архив бүтін емес", "Архив НЕ цел", "NOT intact"]),
    ("site", ["Сайт", "Сайт", "Site"]),
    ("records_in_bundle", ["Архивтегі жазбалар", "Записей в архиве", "Records in the bundle"]),
    ("purged", ["Оның ішінде иесіздендірілгені", "Из них обезличено", "Of which purged"]),
    ("tree_size", ["Қол қойылған журналдағы жазбалар", "Записей в подписанном журнале", "Records in the signed log"]),
    ("checkpoints", ["Қол қойылған бақылау нүктелері", "Подписанных контрольных точек", "Signed checkpoints"]),
    ("files", ["Қол қойылған тізімге сай файлдар", "Файлов, совпадающих с подписанным списком", "Files as signed"]),
    ("took", ["Тексеру уақыты", "Проверено за", "Verified in"]),
    ("key_heading", ["Журналдың кілті", "Ключ журнала", "The log's key"]),
    (
        "key_note",
        [
            "Бұл кілтті оператордан бөлек арнамен алған кілтпен салыстырыңыз (оператор оны `kelisim log key` командасымен шығарады). Қалғанының бәрі осы кілтке сүйенеді: кілт басқа болса, архив ештеңені дәлелдемейді.",
            "Сверьте этот ключ с ключом, полученным от оператора по другому каналу (оператор выводит его командой `kelisim log key`). Всё остальное опирается на него: если ключ другой, архив ничего не доказывает.",
            "Compare this key with the one the operator gave you through another channel (the operator prints it with `kelisim log key`). Everything else rests on it: with another key, the bundle proves nothing.",
        ],
    ),
    ("key_full", ["Толық ашық кілт", "Открытый ключ целиком", "The whole public key"]),
    ("where_file", ["Файл", "Файл", "File"]),
    ("where_line", ["Жол", "Строка", "Line"]),
    ("where_seq", ["Жазба (seq)", "Запись (seq)", "Record (seq)"]),
    ("cli", ["`kelisim verify` хабары", "Сообщение `kelisim verify`", "What `kelisim verify` says"]),
    ("kind_NotABundle", ["Бұл Kelisim экспорт архиві емес немесе ескі пішімдегі архив.", "Это не архив выгрузки Kelisim или архив старого формата.", "This is not a Kelisim export bundle, or one of an old format."]),
    (
        "kind_Signature",
        [
            "log-key.pub кілтімен қойылған қолтаңба расталмады: файлдар тізімі, бақылау нүктесі немесе кілттің өзі ауыстырылған.",
            "Подпись ключом log-key.pub не подтверждается: список файлов, контрольная точка или сам ключ подменены.",
            "A signature by log-key.pub does not verify: the list of files, a checkpoint or the key itself was replaced.",
        ],
    ),
    (
        "kind_FileChanged",
        [
            "Файлдың SHA-256 хеші files.sig тізіміндегі хешпен сәйкес келмейді: файл экспорттан кейін өзгертілген.",
            "SHA-256 файла не совпадает с указанным в files.sig: файл изменён после выгрузки.",
            "The file's SHA-256 is not the one files.sig lists: it was changed after the export.",
        ],
    ),
    (
        "kind_FileAdded",
        [
            "Архивте files.sig тізімінде жоқ файл бар: ол экспорттан кейін қосылған.",
            "В архиве есть файл, которого нет в files.sig: он добавлен после выгрузки.",
            "The bundle holds a file files.sig does not list: it was added after the export.",
        ],
    ),
    (
        "kind_FileRemoved",
        ["Архивте болуға тиіс файл жоқ: ол алынып тасталған.", "В архиве нет файла, который должен в нём быть: он удалён.", "A file the bundle must hold is missing: it was removed."],
    ),
    (
        "kind_RecordChanged",
        [
            "Жазбаның байттары журналдағы жазбаға сәйкес келмейді: жазба өзгертілген.",
            "Байты записи не совпадают с записью журнала: запись изменена.",
            "The record's bytes are not those the log holds: the record was changed.",
        ],
    ),
    (
        "kind_RecordMissing",
        [
            "Экспортталған аралықта жазба жетіспейді: ол алынып тасталған.",
            "В выгруженном диапазоне не хватает записи: она удалена.",
            "A record of the exported range is missing: it was removed.",
        ],
    ),
    (
        "kind_RecordOrder",
        [
            "Жазбалардың реті бұзылған немесе жазба қол қойылған журналдан тыс тұр.",
            "Записи идут не по порядку или запись лежит за пределами подписанного журнала.",
            "Records are out of order, or a record lies beyond the signed log.",
        ],
    ),
    (
        "kind_LogChanged",
        [
            "leaves.bin бойынша қайта есептелген Меркл ағашы бақылау нүктелерінде қол қойылған ағашқа сәйкес емес: журнал өзгертілген.",
            "Дерево Меркла, заново вычисленное по leaves.bin, не совпадает с подписанным в контрольных точках: журнал изменён.",
            "The Merkle tree recomputed from leaves.bin is not the one the checkpoints sign: the log was changed.",
        ],
    ),
    (
        "kind_TextsChanged",
        [
            "Мәтіндер нұсқасының мазмұны оның атауындағы хешке сәйкес емес: келушілер көрген мәтіндер өзгертілген.",
            "Содержимое версии текстов не соответствует хешу в её имени: тексты, которые видели посетители, изменены.",
            "A version of the texts does not hash to its name: the texts the visitors saw were changed.",
        ],
    ),
    (
        "kind_ViewDiffers",
        [
            "Бұл көшірме (CSV немесе DPV) events.jsonl жазбаларынан шығатын мазмұнға сәйкес емес.",
            "Это представление (CSV или DPV) не совпадает с тем, что следует из записей events.jsonl.",
            "This view (CSV or DPV) is not what the records of events.jsonl give.",
        ],
    ),
    (
        "kind_StatementWrong",
        [
            "manifest.json, README.md немесе operator.json архивтің нақты мазмұнын дұрыс көрсетпейді.",
            "manifest.json, README.md или operator.json неверно описывают содержимое архива.",
            "manifest.json, README.md or operator.json does not state what the bundle holds.",
        ],
    ),
    ("kind_Other", ["Архив тексеруден өтпеді.", "Архив не прошёл проверку.", "The bundle did not pass the check."]),
    ("after_export_yes", ["Файлдар экспорттан кейін өзгертілген.", "Файлы изменены после выгрузки.", "Files were changed after the export."]),
    (
        "after_export_no",
        [
            "Барлық файл files.sig тізіміне сай: архивті экспорттаушының өзі осылай жазған.",
            "Все файлы совпадают с files.sig: архив в таком виде записал сам выгрузивший.",
            "Every file is as files.sig lists it: the exporter itself wrote the bundle this way.",
        ],
    ),
    ("error", ["Тексеруді аяқтау мүмкін болмады: {e}", "Не удалось выполнить проверку: {e}", "The check could not run: {e}"]),
    ("records", ["Жазбалар", "Записи", "Records"]),
    ("filter_action", ["Әрекет", "Действие", "Action"]),
    ("any", ["Барлығы", "Все", "Any"]),
    ("accept_all", ["Бәрін қабылдады", "Принял все", "Accepted all"]),
    ("reject_all", ["Бәрінен бас тартты", "Отклонил все", "Rejected all"]),
    ("custom", ["Таңдап келісті", "Выбрал сам", "Chose some"]),
    ("withdraw", ["Келісімін қайтарып алды", "Отозвал согласие", "Withdrew consent"]),
    ("purged_action", ["Иесіздендірілген", "Обезличена", "Purged"]),
    ("from", ["Қай күннен (UTC)", "С даты (UTC)", "From (UTC)"]),
    ("to", ["Қай күнге дейін (UTC)", "По дату (UTC)", "To (UTC)"]),
    ("consent_id", ["Келісім идентификаторы", "Идентификатор согласия", "Consent id"]),
    ("apply", ["Көрсету", "Показать", "Show"]),
    ("prev", ["Алдыңғы бет", "Предыдущая страница", "Previous page"]),
    ("next", ["Келесі бет", "Следующая страница", "Next page"]),
    ("paging", ["Беттер", "Страницы", "Pages"]),
    ("shown", ["{total} жазбаның {a}–{b} көрсетілген", "Показаны {a}–{b} из {total}", "Showing {a}–{b} of {total}"]),
    ("none", ["Сүзгіге сай жазба жоқ.", "Нет записей, подходящих под фильтр.", "No record matches the filter."]),
    ("loading", ["Жазбалар оқылуда…", "Записи загружаются…", "Reading the records…"]),
    ("col_seq", ["seq", "seq", "seq"]),
    ("col_time", ["Уақыты (UTC)", "Время (UTC)", "Time (UTC)"]),
    ("col_consent", ["Келісім идентификаторы", "Идентификатор согласия", "Consent id"]),
    ("col_action", ["Әрекет", "Действие", "Action"]),
    ("col_granted", ["Рұқсат етілген санаттар", "Разрешённые категории", "Categories granted"]),
    ("col_lang", ["Тіл", "Язык", "Language"]),
    ("col_page", ["Бет", "Страница", "Page"]),
];

pub fn t(lang: Lang, key: &str) -> &'static str {
    let i = match lang {
        Lang::Kk => 0,
        Lang::Ru => 1,
        Lang::En => 2,
    };
    TEXTS.iter().find(|(k, _)| *k == key).map(|(_, v)| v[i]).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_every_language_and_keys_are_unique() {
        for (i, (k, v)) in TEXTS.iter().enumerate() {
            assert!(v.iter().all(|s| !s.is_empty()), "{k}");
            assert!(TEXTS[..i].iter().all(|(o, _)| o != k), "{k} twice");
            let marks = |s: &str| s.matches('{').count();
            assert!(v.iter().all(|s| marks(s) == marks(v[2])), "{k}: the same values in each language");
        }
        assert_eq!(Lang::Ru.num(1_000_000), "1\u{a0}000\u{a0}000");
        assert_eq!(Lang::En.num(12_345), "12,345");
        assert_eq!(Lang::En.num(999), "999");
    }
}
