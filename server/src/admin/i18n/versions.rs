//! The words of the text-versions pages: a version by its short name, as its visitors saw it,
//! and what changed since the version before.

use super::count::Noun;
use kelisim_shared::lang::Lang;

pub struct VersionWords {
    /// The column heads of the versions list.
    pub name: &'static str,
    pub changes_column: &'static str,
    pub fingerprint: &'static str,
    /// The newest version, served now.
    pub current: &'static str,
    /// "Published {date}".
    pub published_on: &'static str,
    pub as_seen: &'static str,
    pub as_seen_note: &'static str,
    pub layer: &'static str,
    pub first_layer: &'static str,
    pub preferences: &'static str,
    pub show: &'static str,
    pub changes: &'static str,
    /// The list's link to the changes since the version before.
    pub changes_short: &'static str,
    pub first: &'static str,
    /// The list's cell of the first version.
    pub first_short: &'static str,
    pub no_change: &'static str,
    pub full_compare: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub details: &'static str,
    pub no_widget: &'static str,
}

/// «3 текста изменены», «3 мәтін өзгерді», "3 texts changed".
pub static TEXT_CHANGE: Noun = Noun {
    kk: "мәтін өзгерді",
    ru: ["текст изменён", "текста изменены", "текстов изменено"],
    en: ["text changed", "texts changed"],
};

pub fn versions_words(lang: Lang) -> &'static VersionWords {
    match lang {
        Lang::Kk => &VersionWords {
            name: "Нұсқа",
            changes_column: "Өзгерістер",
            fingerprint: "Хеш",
            current: "қазір көрсетіліп тұр",
            published_on: "Жарияланған уақыты: {date}",
            as_seen: "Келушілер көрген виджет",
            as_seen_note:
                "Бұл — осы нұсқаның нағыз виджеті, өз мәтіндерімен. Мұнда жасалған таңдау журналға жазылмайды.",
            layer: "Терезе",
            first_layer: "Бірінші терезе",
            preferences: "Баптаулар",
            show: "Көрсету",
            changes: "Алдыңғы нұсқамен салыстырғанда не өзгерді",
            changes_short: "Не өзгерді",
            first: "Бұл — алғашқы нұсқа: салыстыратын алдыңғы нұсқа жоқ.",
            first_short: "алғашқы нұсқа",
            no_change: "Келушілерге көрінетін мәтіндер өзгерген жоқ.",
            full_compare: "Толық салыстыру",
            previous: "Алдыңғы нұсқа",
            next: "Келесі нұсқа",
            details: "Техникалық мәліметтер",
            no_widget: "Бұл сервер виджетсіз жиналған, сондықтан виджетті көрсету мүмкін емес.",
        },
        Lang::Ru => &VersionWords {
            name: "Версия",
            changes_column: "Изменения",
            fingerprint: "Хеш",
            current: "показывается сейчас",
            published_on: "Опубликована {date}",
            as_seen: "Виджет, который видели посетители",
            as_seen_note:
                "Это настоящий виджет этой версии с её текстами. Выбор, сделанный здесь, не записывается в журнал.",
            layer: "Окно",
            first_layer: "Первое окно",
            preferences: "Настройки",
            show: "Показать",
            changes: "Что изменилось по сравнению с предыдущей версией",
            changes_short: "Что изменилось",
            first: "Это первая версия: сравнивать не с чем.",
            first_short: "первая версия",
            no_change: "Тексты, которые видят посетители, не изменились.",
            full_compare: "Полное сравнение",
            previous: "Предыдущая версия",
            next: "Следующая версия",
            details: "Технические сведения",
            no_widget: "Сервер собран без виджета, поэтому показать виджет нельзя.",
        },
        Lang::En => &VersionWords {
            name: "Version",
            changes_column: "Changes",
            fingerprint: "Hash",
            current: "shown now",
            published_on: "Published {date}",
            as_seen: "The widget as visitors saw it",
            as_seen_note: "This is the real widget of this version, with its texts. A choice made here is not logged.",
            layer: "Layer",
            first_layer: "First layer",
            preferences: "Preferences",
            show: "Show",
            changes: "What changed since the previous version",
            changes_short: "What changed",
            first: "This is the first version: there is nothing to compare it with.",
            first_short: "first version",
            no_change: "The texts visitors see did not change.",
            full_compare: "Full comparison",
            previous: "Previous version",
            next: "Next version",
            details: "Technical details",
            no_widget: "This server was built without the widget, so it cannot be shown.",
        },
    }
}
