//! The sites this server serves: site policy files read from `--sites DIR` at start (and again
//! whenever the directory changes, [`Sites::reload`]), each with its derived config (and that
//! config's exact JSON, which is what is served, stored and referenced by events).
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

use kelisim_shared::config::Config;
use kelisim_shared::lang::Lang;
use kelisim_shared::policy::{PolicyErrors, SitePolicy};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Site {
    /// The file it was read from.
    pub path: PathBuf,
    pub policy: SitePolicy,
    pub config: Config,
    /// The config's canonical JSON (its SHA-256 is `config.version`'s input): what is stored
    /// and what events refer to.
    pub config_json: String,
    /// What `GET …/widget?lang=` serves, per site language (`kelisim_shared::render::widget_json`),
    /// with its ETag: the config version, then a hash of the body (the markup changes with a
    /// new Kelisim build even when the config does not).
    pub widget: Vec<(Lang, String, String)>,
    /// Extra origins allowed beyond the file's (demo mode: the server's own origin).
    pub extra_origins: Vec<String>,
}

impl Site {
    /// The widget body for a visitor's language tags in order of preference (`data-lang`,
    /// `<html lang>`, the browser's): the first the site offers, else its default (W3).
    pub fn widget_for(&self, tags: &str) -> &(Lang, String, String) {
        let lang = kelisim_shared::lang::choose(&self.config.languages, None, None, tags.split(',').take(16));
        self.widget.iter().find(|(l, _, _)| *l == lang).unwrap_or(&self.widget[0])
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.policy.allows_origin(origin) || self.extra_origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    #[error("cannot read the sites directory {path}: {source}")]
    ReadDir { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(PolicyErrors),
    #[error("{first} and {second} both declare site id `{id}`")]
    DuplicateId { id: String, first: PathBuf, second: PathBuf },
    #[error("the sites directory {0} holds no site policy file (*.toml)")]
    Empty(PathBuf),
}

/// What [`Sites::reload`] refused: an invalid file (and the site and version that keeps
/// serving, if any), or a file or site it could not take for another reason.
#[derive(Clone, Debug)]
pub enum Refusal {
    Invalid(PolicyErrors, Option<(String, String)>),
    Other(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(e, None) => write!(f, "{e}"),
            Refusal::Invalid(e, Some((site, version))) => {
                write!(f, "{e}\n(site `{site}` keeps serving version {version})")
            }
            Refusal::Other(s) => f.write_str(s),
        }
    }
}

#[derive(Clone)]
pub struct Sites {
    by_id: BTreeMap<String, Arc<Site>>,
    /// Origins every site accepts besides its own (demo mode), kept for reloads.
    extra_origins: Vec<String>,
}

impl Sites {
    /// Reads every `*.toml` in `dir`. All invalid files are reported together, so one run of
    /// the server (or of `kelisim site check`) shows everything to fix.
    pub fn load(dir: &Path) -> Result<Sites, SitesError> {
        let files = toml_files(dir)?;
        if files.is_empty() {
            return Err(SitesError::Empty(dir.to_owned()));
        }
        let mut by_id: BTreeMap<String, Arc<Site>> = BTreeMap::new();
        let mut errors = Vec::new();
        for path in files {
            let policy = match parse_file(&path) {
                Ok(p) => p,
                Err(SitesError::Invalid(e)) => {
                    errors.extend(e.0);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(first) = by_id.get(&policy.id) {
                return Err(SitesError::DuplicateId { id: policy.id.clone(), first: first.path.clone(), second: path });
            }
            by_id.insert(policy.id.clone(), Arc::new(Site::new(path, policy, Vec::new())));
        }
        if !errors.is_empty() {
            return Err(SitesError::Invalid(PolicyErrors(errors)));
        }
        Ok(Sites { by_id, extra_origins: Vec::new() })
    }

    /// The sites of `dir` as it is now, for a running server: a valid file gives its site (a new
    /// one, or a new config version of a known one), a file that is gone takes its site away, and
    /// a file that cannot be read or is invalid keeps the site it gave before (if any) and is
    /// reported. `Err` (nothing changes) when the directory cannot be read or holds no site
    /// file at all, which is likelier a deployment half done than an owner removing every site.
    pub fn reload(&self, dir: &Path) -> Result<(Sites, Vec<Refusal>), SitesError> {
        let files = toml_files(dir)?;
        if files.is_empty() {
            return Err(SitesError::Empty(dir.to_owned()));
        }
        let mut by_id: BTreeMap<String, Arc<Site>> = BTreeMap::new();
        let mut problems = Vec::new();
        for path in files {
            let site = match parse_file(&path) {
                Ok(policy) => {
                    let fresh = Site::new(path.clone(), policy, self.extra_origins.clone());
                    match self.by_id.get(&fresh.config.site) {
                        Some(old) if old.path == path && old.config_json == fresh.config_json => old.clone(),
                        _ => Arc::new(fresh),
                    }
                }
                Err(e) => {
                    let kept = self.by_id.values().find(|s| s.path == path);
                    let serving = kept.map(|s| (s.config.site.clone(), s.config.version[..12].to_owned()));
                    problems.push(match e {
                        SitesError::Invalid(errors) => Refusal::Invalid(errors, serving),
                        e => Refusal::Other(match serving {
                            Some((site, version)) => format!("{e}\n(site `{site}` keeps serving version {version})"),
                            None => e.to_string(),
                        }),
                    });
                    match kept {
                        Some(s) => s.clone(),
                        None => continue,
                    }
                }
            };
            if let Some(first) = by_id.get(&site.config.site) {
                problems.push(Refusal::Other(
                    SitesError::DuplicateId { id: site.config.site.clone(), first: first.path.clone(), second: path }
                        .to_string(),
                ));
                continue;
            }
            by_id.insert(site.config.site.clone(), site);
        }
        Ok((Sites { by_id, extra_origins: self.extra_origins.clone() }, problems))
    }

    pub fn get(&self, id: &str) -> Option<&Site> {
        self.by_id.get(id).map(|s| &**s)
    }

    /// The site, to hold beyond this set of sites (a handler across an await).
    pub fn get_shared(&self, id: &str) -> Option<Arc<Site>> {
        self.by_id.get(id).cloned()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Site> {
        self.by_id.values().map(|s| &**s)
    }

    /// Demo mode: let pages served by this server itself post for every site (reloads too).
    pub fn allow_extra_origins(&mut self, origins: &[String]) {
        self.extra_origins.extend(origins.iter().cloned());
        for s in self.by_id.values_mut() {
            *s = Arc::new(Site::new(s.path.clone(), s.policy.clone(), self.extra_origins.clone()));
        }
    }
}

impl Site {
    /// A site from its valid policy file: its config, that config's canonical JSON, and the
    /// widget body of each of its languages.
    fn new(path: PathBuf, policy: SitePolicy, extra_origins: Vec<String>) -> Site {
        let config = policy.config();
        let config_json =
            String::from_utf8(kelisim_shared::canonical::to_canonical_json(&config)).expect("canonical JSON is UTF-8");
        let widget = config
            .languages
            .iter()
            .map(|l| {
                let body = kelisim_shared::render::widget_json(&config, *l);
                let etag = format!("\"{}.{}\"", config.version, hex::encode(&Sha256::digest(body.as_bytes())[..4]));
                (*l, body, etag)
            })
            .collect();
        Site { path, policy, config, config_json, widget, extra_origins }
    }
}

/// The `*.toml` files of `dir`, sorted.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, SitesError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SitesError::ReadDir { path: dir.to_owned(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and validates one site policy file.
pub fn parse_file(path: &Path) -> Result<SitePolicy, SitesError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| SitesError::ReadFile { path: path.to_owned(), source })?;
    SitePolicy::parse(&path.display().to_string(), &text).map_err(SitesError::Invalid)
}
