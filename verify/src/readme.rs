//! The README for the auditor, in Kazakh, Russian and English (Law on Languages Art. 21).

use crate::ExportSummary;

/// The README of a bundle: a function of what `manifest.json` says, so `kelisim verify` writes
/// it again and compares.
pub fn text(site: &str, from: Option<&str>, to: Option<&str>, exported_at: &str, s: &ExportSummary) -> String {
    let range = match (from, to) {
        (None, None) => "—".to_owned(),
        (f, t) => format!("{} … {}", f.unwrap_or("…"), t.unwrap_or("…")),
    };
    let seqs = match (s.first_seq, s.last_seq) {
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "—".to_owned(),
    };
    format!(
        r#"# Kelisim: келісімдер журналының экспорты / выгрузка журнала согласий / consent log export

- site / сайт: `{site}`
- exported at / выгружено / экспортталды: {at}
- date range / период / кезең: {range}
- records / записей / жазбалар: {n} (seq {seqs}; purged / обезличено / иесіздендірілген: {purged})
- log size proven / размер журнала / журнал көлемі: {size}; signed checkpoints / подписанных контрольных точек / қол қойылған бақылау нүктелері: {cps}

## Қазақша

Бұл архивте сайттың cookie файлдары мен ұқсас технологияларға берілген келісімдер журналы бар
(«Дербес деректер және оларды қорғау туралы» № 94-V Заң, 8-бап 1-тармақ, 25-бап 2-тармақ 5) тармақша:
оператор келісімнің алынғанын дәлелдеуге міндетті).

- `events.jsonl` — жазбалар, әрқайсысы өзгеріссіз канондық байттармен, бір жолға бір жазба.
- `leaves.bin` — журналдың әр жазбасының RFC 6962 хеші (32 байт).
- `checkpoints/` — Ed25519 кілтімен қол қойылған бақылау нүктелері: журнал көлемі, Меркл түбірі, уақыт.
- `log-key.pub` — қолтаңбаны тексеретін ашық кілт.
- `configs/` — келушілер көрген мәтіндердің әр нұсқасы (нұсқа атауы — мазмұнның SHA-256 хеші).
- `events.csv` (Excel үшін) және `events.dpv.jsonld` (ISO/IEC TS 27560, W3C DPV) — сол жазбалардың көшірмелері.
- `files.sig` — архивтегі қалған әр файлдың SHA-256 хеші, сол Ed25519 кілтімен қол қойылған.

Тексеру: `kelisim verify осы-файл.zip`. Бағдарлама операторға сенбей-ақ, тек осы архивтің өзімен
жұмыс істейді: қолтаңбаларды, әр файлдың хешін, Меркл ағашын және әр жазбаның хешін тексереді,
`events.csv` пен `events.dpv.jsonld` файлдарын жазбалардан қайта құрып, байтпен салыстырады. Нәтиже
0 кодымен аяқталса, архив бүтін; әйтпесе өзгертілген, қосылған немесе жоқ файл, алғашқы бұзылған
жазба мен себебі аталады. Ашық кілтті оператордан бөлек арнамен алып салыстырыңыз. CSV-дағы `=`, `+`,
`-`, `@` белгілерінен басталатын ұяшықтардың алдына `'` қойылған: Excel оларды формула ретінде
орындамайды.

## Русский

В архиве — журнал согласий посетителей сайта на файлы cookie и похожие технологии (Закон РК
№ 94-V «О персональных данных и их защите», ст. 8 п. 1, ст. 25 п. 2 пп. 5: оператор обязан
доказать получение согласия).

- `events.jsonl` — записи в точных канонических байтах, по одной в строке.
- `leaves.bin` — хеш RFC 6962 каждой записи журнала (32 байта).
- `checkpoints/` — контрольные точки, подписанные ключом Ed25519: размер журнала, корень дерева Меркла, время.
- `log-key.pub` — открытый ключ для проверки подписей.
- `configs/` — каждая версия текстов, которые видели посетители (имя версии — SHA-256 её содержимого).
- `events.csv` (для Excel) и `events.dpv.jsonld` (ISO/IEC TS 27560, W3C DPV) — те же записи в других форматах.
- `files.sig` — SHA-256 каждого другого файла архива, подписанные тем же ключом Ed25519.

Проверка: `kelisim verify этот-файл.zip`. Программе не нужен сервер оператора — только этот
архив: она проверяет подписи и хеш каждого файла, заново вычисляет дерево Меркла и хеш каждой
записи, заново строит из записей `events.csv` и `events.dpv.jsonld` и сравнивает их побайтно. Код
выхода 0 означает, что архив цел; иначе называется изменённый, добавленный или недостающий файл,
первая повреждённая запись и причина. Сверьте открытый ключ с полученным от оператора по другому
каналу. Перед ячейками CSV, начинающимися с `=`, `+`, `-`, `@`, стоит `'`: Excel не выполнит их как
формулы.

## English

This archive holds the site's log of visitors' consent to cookies and similar technologies
(Law of the Republic of Kazakhstan No. 94-V, Art. 8 p.1 and Art. 25 p.2(5): the operator must
prove that consent was obtained).

- `events.jsonl` — the records as their exact canonical bytes, one per line.
- `leaves.bin` — the RFC 6962 leaf hash of every record in the log (32 bytes each).
- `checkpoints/` — checkpoints signed with an Ed25519 key: log size, Merkle root, time (C2SP signed notes).
- `log-key.pub` — the public key that verifies the signatures.
- `configs/` — every version of the texts the visitors saw (named by the SHA-256 of its content).
- `events.csv` (for spreadsheets) and `events.dpv.jsonld` (ISO/IEC TS 27560 in W3C DPV terms) — the same records, other shapes.
- `files.sig` — the SHA-256 of every other file of this archive, signed with the same Ed25519 key.

To verify: `kelisim verify this-file.zip`. It needs nothing but this archive: it checks the
signatures and every file's hash, recomputes the Merkle tree and every record's hash, checks
that every record's text version is included and that sizes and times only grow, and derives
`events.csv` and `events.dpv.jsonld` again from the records and compares them byte for byte.
Exit status 0 means intact; otherwise it names the changed, added or missing file, or the first
bad record, and why. Compare the public key with one obtained from the operator through another
channel. Records marked `purged` had their personal fields removed after the site's retention
period; their hashes still prove their place in the log. A CSV cell that would begin with `=`,
`+`, `-` or `@` has a `'` put before it, so that a spreadsheet does not run it as a formula.
"#,
        at = exported_at,
        n = s.events,
        purged = s.purged,
        size = s.tree_size,
        cps = s.checkpoints,
    )
}
