//! The live preview's words (admin/preview.rs).

use kelisim_shared::lang::Lang;

pub struct PreviewWords {
    pub title: &'static str,
    pub language: &'static str,
    pub layer: &'static str,
    pub first_layer: &'static str,
    pub preferences: &'static str,
    pub width: &'static str,
    pub desktop: &'static str,
    pub phone: &'static str,
    pub show: &'static str,
    pub note: &'static str,
    pub press: &'static str,
    pub invalid: &'static str,
}

pub fn preview_words(lang: Lang) -> &'static PreviewWords {
    match lang {
        Lang::Kk => &PreviewWords {
            title: "Алдын ала қарау",
            language: "Тіл",
            layer: "Терезе",
            first_layer: "Бірінші терезе",
            preferences: "Баптаулар",
            width: "Экран ені",
            desktop: "Компьютер",
            phone: "Телефон",
            show: "Жаңарту",
            note: "Мұнда нағыз виджет жобаны көрсетеді. Ондағы таңдау осы терезеде ғана қалады: журналға жазылмайды, cookie қойылмайды.",
            press: "Жобаны көру үшін «Жаңарту» түймесін басыңыз.",
            invalid: "Жобада қателер бар, сондықтан оны көрсету мүмкін емес:",
        },
        Lang::Ru => &PreviewWords {
            title: "Предпросмотр",
            language: "Язык",
            layer: "Окно",
            first_layer: "Первое окно",
            preferences: "Настройки",
            width: "Ширина экрана",
            desktop: "Компьютер",
            phone: "Телефон",
            show: "Обновить",
            note: "Здесь черновик показывает настоящий виджет. Выбор в нём остаётся в этой рамке: в журнал он не попадает, cookie не ставятся.",
            press: "Нажмите «Обновить», чтобы увидеть черновик.",
            invalid: "В черновике есть ошибки, поэтому показать его нельзя:",
        },
        Lang::En => &PreviewWords {
            title: "Preview",
            language: "Language",
            layer: "Layer",
            first_layer: "First layer",
            preferences: "Preferences",
            width: "Screen width",
            desktop: "Desktop",
            phone: "Phone",
            show: "Refresh",
            note: "The real widget shows the draft here. A choice made in it stays in this frame: nothing is logged and no cookie is set.",
            press: "Press Refresh to see the draft.",
            invalid: "The draft has errors, so it cannot be shown:",
        },
    }
}
