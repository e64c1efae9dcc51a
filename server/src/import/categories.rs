//! The four categories a draft can propose, and the built-in neutral texts the draft may use
//! for them without the policy saying so: a title and a one-line description per language,
//! plus Kelisim's own settings (Consent Mode types, GPC). These say what a category *is*,
//! never what a particular site does with it, so they invent no fact about the site.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use serde::Serialize;

/// In display order: the order of the variants is the order of the draft's categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryId {
    Necessary,
    Functional,
    Analytics,
    Marketing,
}

/// A text in the three languages Kelisim speaks, in the order `kk`, `ru`, `en`.
pub type Texts = [&'static str; 3];

impl CategoryId {
    pub fn id(self) -> &'static str {
        match self {
            CategoryId::Necessary => "necessary",
            CategoryId::Functional => "functional",
            CategoryId::Analytics => "analytics",
            CategoryId::Marketing => "marketing",
        }
    }

    pub fn title(self) -> Texts {
        match self {
            CategoryId::Necessary => ["Міндетті", "Обязательные", "Necessary"],
            CategoryId::Functional => ["Функционалдық", "Функциональные", "Functional"],
            CategoryId::Analytics => ["Талдау", "Аналитика", "Analytics"],
            CategoryId::Marketing => ["Жарнама", "Реклама", "Marketing"],
        }
    }

    pub fn description(self) -> Texts {
        match self {
            CategoryId::Necessary => [
                "Сайттың жұмысы мен қауіпсіздігі үшін қажет. Осы терезеде жасаған таңдауыңыз да осы санатта сақталады.",
                "Нужны для работы и безопасности сайта. Здесь же хранится ваш выбор в этом окне.",
                "Needed for the site to work and stay secure. Your choice in this window is also kept here.",
            ],
            CategoryId::Functional => [
                "Сайтты сізге бейімдеуге және баптауларыңызды есте сақтауға қажет.",
                "Нужны, чтобы настроить сайт под вас и запомнить ваши настройки.",
                "Needed to tailor the site to you and remember your settings.",
            ],
            CategoryId::Analytics => [
                "Сайтқа кірулерді санауға және оның қалай пайдаланылатынын түсінуге көмектеседі.",
                "Помогают считать посещения и понимать, как используется сайт.",
                "Help count visits and understand how the site is used.",
            ],
            CategoryId::Marketing => [
                "Жарнама мен маркетинг үшін қолданылады.",
                "Используются для рекламы и маркетинга.",
                "Used for advertising and marketing.",
            ],
        }
    }

    /// Google Consent Mode v2 types granted with the category (W8).
    pub fn consent_mode(self) -> &'static [&'static str] {
        match self {
            CategoryId::Necessary => &["security_storage"],
            CategoryId::Functional => &["functionality_storage", "personalization_storage"],
            CategoryId::Analytics => &["analytics_storage"],
            CategoryId::Marketing => &["ad_storage", "ad_user_data", "ad_personalization"],
        }
    }

    /// W9: a Global Privacy Control signal keeps tracking off until the visitor turns it on.
    pub fn gpc_off(self) -> bool {
        matches!(self, CategoryId::Analytics | CategoryId::Marketing)
    }
}
