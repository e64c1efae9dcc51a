//! The problems of a site policy file by field, for a form that shows each one next to its
//! field: the same checks as [`SitePolicy::parse`](super::SitePolicy::parse) (`site check`),
//! each problem with the dotted path of its field (`category.2.title.kk`,
//! `origins.0`, `category.0.service.1.id`) rather than a line and column.

use super::locate::Seg;
use super::problem::{Problem, Shape};
use super::SitePolicy;
use toml::de::DeTable;

/// One problem, at the field its dotted path names: keys as in the file, list entries by their
/// index from 0. An empty path: the problem belongs to no field (the text is not TOML, or
/// concerns the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub path: String,
    /// In English, as `site check` says it.
    pub message: String,
    /// To be worded in a page's language.
    pub problem: Problem,
}

impl FieldProblem {
    fn new(path: String, problem: Problem) -> FieldProblem {
        FieldProblem { path, message: problem.en(), problem }
    }
}

/// Every problem [`SitePolicy::parse`](super::SitePolicy::parse) finds in `text`, in the order
/// the checks find them, each at its field; empty when the file is valid. A type error (a
/// missing field, a value of the wrong type, an unknown key) is at the key or value toml
/// points to, or at the table that lacks the field.
pub fn field_problems(text: &str) -> Vec<FieldProblem> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            return vec![FieldProblem::new(String::new(), Problem::Syntax(e.message().trim().to_owned()))];
        }
    };
    let mut policy: SitePolicy = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let path = e.span().map(|s| path_at(root.get_ref(), s.start)).unwrap_or_default();
            let detail = e.message().trim().to_owned();
            return vec![FieldProblem::new(path.join("."), Problem::Shape(Shape::of(&detail), detail))];
        }
    };
    policy.complete_and_check().into_iter().map(|p| FieldProblem::new(dotted(&p.path), p.problem)).collect()
}

/// `category.2.title.kk` for `[Key("category"), Index(2), Key("title"), Key("kk")]`.
fn dotted(path: &[Seg]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => (*k).to_owned(),
            Seg::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

/// The deepest path whose key or value spans `offset`, list entries by their bare index.
fn path_at(root: &DeTable, offset: usize) -> Vec<String> {
    super::locate::path_at(root, offset)
        .into_iter()
        .map(|s| match s.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
            Some(i) => i.to_owned(),
            None => s,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::field_problems;

    const SITE: &str = r#"
id = "shop"
name = "shop.kz"
origins = ["https://shop.kz"]
policy_url = "https://shop.kz/privacy"
policy_version = "1"
languages = ["kk", "ru"]
consent_days = 365
retention_days = 1825

[operator]
name = { kk = "ЖШС", ru = "ТОО" }
email = "a@shop.kz"
storage_country = "KZ"

[[category]]
id = "necessary"
required = true
title = { kk = "Міндетті", ru = "Обязательные" }
description = { kk = "с", ru = "о" }
data = { kk = ["а"], ru = ["б"] }
purposes = { kk = ["а"], ru = ["б"] }
retention = { kk = "1 жыл", ru = "1 год" }
"#;

    fn paths(text: &str) -> Vec<String> {
        field_problems(text).into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn a_valid_file_has_no_problems() {
        assert_eq!(field_problems(SITE), vec![]);
    }

    #[test]
    fn a_service_named_by_catalogue_id_is_filled_in_before_it_is_checked() {
        // An optional category naming two catalogue services, and one problem elsewhere: only
        // that one (the dashboard's form used to show the services' fields as empty).
        let text = format!(
            "{}\n[[category]]\nid = \"analytics\"\ntitle = {{ kk = \"Талдау\", ru = \"Аналитика\" }}\ndescription = {{ kk = \"с\", ru = \"о\" }}\ndata = {{ kk = [\"а\"], ru = [\"б\"] }}\npurposes = {{ kk = [\"а\"], ru = [\"б\"] }}\nretention = {{ kk = \"1 жыл\", ru = \"1 год\" }}\ncross_border = {{ transfer = true, countries = [\"RU\", \"US\"] }}\nservice = [\"yandex-metrica\", \"google-analytics\"]\n",
            SITE.replace("ru = \"Обязательные\"", "ru = \" \"")
        );
        assert_eq!(paths(&text), ["category.0.title.ru"]);
        // What the catalogue filled in is in the site's languages only, the visitors' label too.
        let p = crate::policy::SitePolicy::parse("site.toml", &text.replace("ru = \" \"", "ru = \"Обязательные\""))
            .unwrap_or_else(|e| panic!("{e}"));
        let s = &p.categories[1].services[0];
        assert!(s.title.kk.is_some() && s.title.ru.is_some() && s.title.en.is_none(), "{:?}", s.title);
        assert!(s.description.en.is_none(), "{:?}", s.description);
    }

    #[test]
    fn validation_problems_name_their_field() {
        let text =
            SITE.replace("ru = \"Обязательные\"", "ru = \" \"").replace("https://shop.kz\"]", "https://shop.kz/\"]");
        assert_eq!(paths(&text), ["origins.0", "category.0.title.ru"]);
    }

    #[test]
    fn type_errors_name_their_field_and_syntax_errors_none() {
        assert_eq!(paths(&SITE.replace("consent_days = 365", "consent_days = \"a year\"")), ["consent_days"]);
        assert_eq!(paths(&SITE.replace("required = true", "required = true\ncolour = 1")), ["category.0.colour"]);
        assert_eq!(paths(&SITE.replace("[operator]", "[operator")), [""]);
    }
}
