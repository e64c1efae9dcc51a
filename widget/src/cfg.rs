//! Reads the site config (already parsed by the browser's `JSON.parse`) into the shared
//! [`Config`] type field by field. This replaces serde in the widget: serde-wasm-bindgen and the
//! float formatting its errors pull in cost ~40 KB of WASM, which every visitor downloads.
//! The field names are those of `kelisim_shared::config` (the server serializes with serde);
//! `config_reader_matches_served_json` in the browser tests keeps the two in step.

use js_sys::{Array, Reflect};
use kelisim_shared::config::{Category, Config, CrossBorder, Localized, Operator, Service, ThirdParty};
use kelisim_shared::consent_mode::ConsentModeType;
use kelisim_shared::lang::Lang;
use wasm_bindgen::JsValue;
use alloc::string::String;
use alloc::vec::Vec;

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}
fn string(o: &JsValue, k: &str) -> Option<String> {
    get(o, k).as_string()
}
fn req(o: &JsValue, k: &str) -> Result<String, &'static str> {
    string(o, k).ok_or("a text field is missing")
}
fn boolean(o: &JsValue, k: &str) -> bool {
    get(o, k).as_bool() == Some(true)
}
fn items(o: &JsValue, k: &str) -> Vec<JsValue> {
    let v = get(o, k);
    if Array::is_array(&v) { Array::from(&v).to_vec() } else { Vec::new() }
}
fn strings(o: &JsValue, k: &str) -> Vec<String> {
    items(o, k).iter().filter_map(JsValue::as_string).collect()
}
fn localized<T>(o: &JsValue, k: &str, f: impl Fn(&JsValue, &str) -> Option<T>) -> Localized<T> {
    let v = get(o, k);
    Localized { kk: f(&v, "kk"), ru: f(&v, "ru"), en: f(&v, "en") }
}
fn text(o: &JsValue, k: &str) -> Localized<String> {
    localized(o, k, string)
}
fn list(o: &JsValue, k: &str) -> Localized<Vec<String>> {
    localized(o, k, |v, l| Array::is_array(&get(v, l)).then(|| strings(v, l)))
}

pub fn read(v: &JsValue) -> Result<Config, &'static str> {
    let op = get(v, "operator");
    let address = get(&op, "address");
    let person = get(&op, "responsible_person");
    let mut categories = Vec::new();
    for c in items(v, "categories") {
        let cb = get(&c, "cross_border");
        categories.push(Category {
            id: req(&c, "id")?,
            required: boolean(&c, "required"),
            title: text(&c, "title"),
            description: text(&c, "description"),
            data: list(&c, "data"),
            purposes: list(&c, "purposes"),
            retention: text(&c, "retention"),
            third_parties: items(&c, "third_parties")
                .iter()
                .map(|t| ThirdParty { name: text(t, "name"), country: string(t, "country").unwrap_or_default(), purpose: text(t, "purpose") })
                .collect(),
            cross_border: CrossBorder { transfer: boolean(&cb, "transfer"), countries: strings(&cb, "countries") },
            cookies: strings(&c, "cookies"),
            consent_mode: strings(&c, "consent_mode").iter().filter_map(|n| ConsentModeType::from_name(n)).collect(),
            gpc_off: boolean(&c, "gpc_off"),
            services: items(&c, "services")
                .iter()
                .map(|s| Service {
                    id: string(s, "id").unwrap_or_default(),
                    name: string(s, "name").unwrap_or_default(),
                    provider: string(s, "provider").unwrap_or_default(),
                    country: string(s, "country").unwrap_or_default(),
                    description: text(s, "description"),
                    cookies: strings(s, "cookies"),
                    policy_url: string(s, "policy_url"),
                })
                .collect(),
        });
    }
    let languages: Vec<Lang> = strings(v, "languages").iter().filter_map(|l| Lang::from_tag(l)).collect();
    if languages.is_empty() || categories.iter().filter(|c| c.required).count() != 1 {
        return Err("it has no languages or not exactly one required category");
    }
    Ok(Config {
        site: req(v, "site")?,
        version: req(v, "version")?,
        scope: req(v, "scope")?,
        name: string(v, "name").unwrap_or_default(),
        policy_version: string(v, "policy_version").unwrap_or_default(),
        policy_url: req(v, "policy_url")?,
        languages,
        consent_days: get(v, "consent_days").as_f64().map(|d| d as u32).unwrap_or(365),
        operator: Operator {
            name: text(&op, "name"),
            bin: string(&op, "bin"),
            address: (!address.is_undefined()).then(|| text(&op, "address")),
            email: string(&op, "email"),
            phone: string(&op, "phone"),
            responsible_person: (!person.is_undefined()).then(|| text(&op, "responsible_person")),
            storage_country: string(&op, "storage_country").unwrap_or_default(),
        },
        categories,
        reload_on_revoke: get(v, "reload_on_revoke").as_bool() != Some(false),
        floating_button: get(v, "floating_button").as_bool() != Some(false),
    })
}
