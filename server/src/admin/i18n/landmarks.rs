//! The names screen readers read out for what the eye takes from the layout: the page's three
//! navigations and the heads of columns that hold only buttons or only row names.

use kelisim_shared::lang::Lang;

pub struct LandmarkWords {
    /// The dashboard's sections (Sites, Audit trail, Accounts).
    pub nav_main: &'static str,
    /// The language switcher.
    pub nav_langs: &'static str,
    /// A site's pages.
    pub nav_site: &'static str,
    /// The head of a column of buttons (Disable, Revoke).
    pub actions: &'static str,
    /// The head of the compare table's first column (which text, in which language).
    pub text: &'static str,
}

pub fn landmark_words(lang: Lang) -> &'static LandmarkWords {
    match lang {
        Lang::Kk => &LandmarkWords {
            nav_main: "Бөлімдер",
            nav_langs: "Тіл",
            nav_site: "Сайт беттері",
            actions: "Әрекет",
            text: "Мәтін",
        },
        Lang::Ru => &LandmarkWords {
            nav_main: "Разделы",
            nav_langs: "Язык",
            nav_site: "Страницы сайта",
            actions: "Действие",
            text: "Текст",
        },
        Lang::En => &LandmarkWords {
            nav_main: "Sections",
            nav_langs: "Language",
            nav_site: "Site pages",
            actions: "Action",
            text: "Text",
        },
    }
}
