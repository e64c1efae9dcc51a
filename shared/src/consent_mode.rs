//! Google Consent Mode v2: the seven consent types, and a compact bit form of a granted set
//! that fits in the `kelisim` cookie so that the loader can push the `update` synchronously on
//! a return visit, before any tag manager runs, without fetching the config.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentModeType {
    AdStorage,
    AdUserData,
    AdPersonalization,
    AnalyticsStorage,
    FunctionalityStorage,
    PersonalizationStorage,
    SecurityStorage,
}

impl ConsentModeType {
    /// In bit order: bit `i` of the compact form is `ALL[i]`. The loader (`kelisim.js`) holds
    /// the same list in the same order; never reorder it.
    pub const ALL: [ConsentModeType; 7] = [
        ConsentModeType::AdStorage,
        ConsentModeType::AdUserData,
        ConsentModeType::AdPersonalization,
        ConsentModeType::AnalyticsStorage,
        ConsentModeType::FunctionalityStorage,
        ConsentModeType::PersonalizationStorage,
        ConsentModeType::SecurityStorage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ConsentModeType::AdStorage => "ad_storage",
            ConsentModeType::AdUserData => "ad_user_data",
            ConsentModeType::AdPersonalization => "ad_personalization",
            ConsentModeType::AnalyticsStorage => "analytics_storage",
            ConsentModeType::FunctionalityStorage => "functionality_storage",
            ConsentModeType::PersonalizationStorage => "personalization_storage",
            ConsentModeType::SecurityStorage => "security_storage",
        }
    }

    pub fn from_name(name: &str) -> Option<ConsentModeType> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn bit(self) -> u8 {
        1 << Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The bits of every type granted by the given lists. `security_storage` is always granted:
/// it covers what the site needs to work and be secure, which needs no consent.
pub fn bits<'a>(granted: impl IntoIterator<Item = &'a ConsentModeType>) -> u8 {
    granted.into_iter().fold(ConsentModeType::SecurityStorage.bit(), |acc, t| acc | t.bit())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn security_is_always_granted() {
        assert_eq!(bits([]), 0b100_0000);
        assert_eq!(bits(&[ConsentModeType::AdStorage]), 0b100_0001);
    }
    #[test]
    fn names_match_serde() {
        for t in ConsentModeType::ALL {
            let mut s = String::new();
            s.push('"');
            s.push_str(t.name());
            s.push('"');
            #[cfg(feature = "policy")]
            assert_eq!(serde_json::to_string(&t).unwrap(), s);
        }
    }
}
