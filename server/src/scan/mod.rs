//! `kelisim scan`: proves what a site really stores and calls before and after consent, with
//! the machine's own Chromium, and checks it against the site's policy file.
//!
//! Three passes over up to N pages of one origin, each pass in a fresh browser profile:
//! before any choice, after the banner's Accept all, after its Reject all (clicked through the
//! widget's DOM contract, W12). Every cookie of every domain, every localStorage and
//! sessionStorage key and every third-party request is recorded with what caused it
//! (`visit`), classified by the site policy, then the Open Cookie Database (`classify`,
//! `ocd`), and judged (`findings`): anything non-required before a choice, or still there
//! after Reject all, is a violation of Art. 7 p.1 of Law 94-V, and the exit status says so.
//!
//! ```text
//! kelisim scan https://example.kz/ --site example --sites /etc/kelisim/sites --pages 20
//! kelisim scan http://127.0.0.1:8790/demo/webpulse/ --policy www/sites/webpulse.toml --format json
//! ```
//!
//! Privacy: cookie and storage values are never read into the scan, and nothing the scan
//! sees goes to the server's log; the report holds names, domains and URLs of the scanned
//! site only.
//!
//! Labels W1–W13 name the widget's behaviours; `docs/architecture.md` defines them.

mod chromium;
pub mod classify;
mod findings;
pub mod jobs;
pub mod observe;
pub mod ocd;
pub mod record;
pub mod report;
mod visit;
mod write_policy;

use kelisim_shared::policy::SitePolicy;
use observe::{Pass, Placement, Visit};
use report::{exit, Report};
use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    NoChromium(String),
    #[error("{0}")]
    Browser(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Usage(String),
    /// Writing the policy (`--write-policy`) or keeping the report (`--data`, `--database`) failed.
    #[error("{0}")]
    Write(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub struct Options {
    pub url: String,
    pub site: Option<String>,
    pub sites: PathBuf,
    pub policy: Option<PathBuf>,
    pub pages: usize,
    pub format: Format,
    pub write_policy: Option<PathBuf>,
    pub timeout: Duration,
    pub chromium: Option<PathBuf>,
    /// Keep the report in this data directory's SQLite database…
    pub data: Option<PathBuf>,
    /// … or in this PostgreSQL database (`serve --database`), which wins.
    pub database: Option<String>,
}

/// A site policy and the file it came from.
struct Policy {
    policy: SitePolicy,
    path: PathBuf,
    text: String,
}

/// Runs the scan, prints the report, and returns the exit status (`report::exit`).
pub fn run(o: Options) -> u8 {
    match scan(&o) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("kelisim: {e}");
            exit::ERROR
        }
    }
}

fn scan(o: &Options) -> Result<u8, ScanError> {
    let start = url::Url::parse(&o.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ScanError::Usage(format!("`{}` is not a page address: give an http:// or https:// URL", o.url))
        })?;
    let policy = load_policy(o)?;
    if o.write_policy.is_some() && policy.is_none() {
        return Err(ScanError::Usage(
            "--write-policy adds to a site policy: give it with --site ID or --policy FILE".into(),
        ));
    }
    let keep = record::Keep::of(o.data.as_deref(), o.database.as_deref());
    if let (Some(keep), None) = (&keep, &policy) {
        return Err(ScanError::Usage(format!(
            "{} keeps the scan for a site's dashboard: say which site with --site ID or --policy FILE",
            keep.option()
        )));
    }
    let binary = chromium::locate(o.chromium.as_deref())?;
    let survey = Survey {
        start: &start,
        policy: policy.as_ref().map(|p| (&p.policy, p.path.display().to_string())),
        pages: o.pages,
        timeout: o.timeout,
        chromium: &binary,
        progress: true,
    };
    let report = survey.run()?;
    match o.format {
        Format::Text => print!("{}", report.text()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
    }
    if let (Some(out), Some(p)) = (&o.write_policy, &policy) {
        let w = write_policy::write(&p.text, &p.policy, &report, out)?;
        eprintln!(
            "kelisim: wrote {} with {} new item{} for review (`kelisim site check {}` lists them)",
            out.display(),
            w.added,
            if w.added == 1 { "" } else { "s" },
            out.display()
        );
        for s in w.skipped {
            eprintln!("kelisim: not written: {s}");
        }
    }
    if let (Some(keep), Some(p)) = (&keep, &policy) {
        record::record(keep, &p.policy.id, &report)?;
        eprintln!(
            "kelisim: the scan is kept for site `{}` in {keep} (dashboard: /admin/sites/{}/scan)",
            p.policy.id, p.policy.id
        );
    }
    Ok(report.exit_status())
}

/// One scan, from the command line or from the dashboard (`jobs`): the three passes over
/// up to `pages` pages from `start`, judged against `policy` (and the file it is shown as).
pub struct Survey<'a> {
    pub start: &'a url::Url,
    pub policy: Option<(&'a SitePolicy, String)>,
    pub pages: usize,
    pub timeout: Duration,
    pub chromium: &'a Path,
    /// One line per visit on stderr (the command line's progress).
    pub progress: bool,
}

impl Survey<'_> {
    /// Runs the scan on a runtime of its own (call it from a thread that is not async).
    pub fn run(&self) -> Result<Report, ScanError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| ScanError::Browser(format!("cannot start the scanner's runtime: {e}")))?;
        let started_at = crate::clock::now_rfc3339();
        let began = Instant::now();
        let seen =
            runtime.block_on(passes(self.chromium, self.start, self.pages.max(1), self.timeout, self.progress))?;
        let policy = self.policy.as_ref().map(|(p, _)| *p);
        let judged = findings::judge(self.start, policy, &seen.pages, &seen.visits);
        Ok(Report {
            format: report::FORMAT,
            url: self.start.to_string(),
            site: policy.map(|p| p.id.clone()),
            policy: self.policy.as_ref().map(|(_, shown)| shown.clone()),
            started_at,
            finished_at: crate::clock::now_rfc3339(),
            seconds: (began.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            chromium: seen.version,
            loader: seen.placement,
            pages: judged.pages,
            items: judged.items,
            hosts: judged.hosts,
            findings: judged.findings,
            summary: judged.summary,
            attribution: ocd::ATTRIBUTION.into(),
        })
    }
}

/// What the passes saw, for `findings::judge`.
struct Seen {
    pages: Vec<String>,
    visits: Vec<(Pass, Visit)>,
    version: String,
    placement: Option<Placement>,
}

fn load_policy(o: &Options) -> Result<Option<Policy>, ScanError> {
    let read = |path: &Path| -> Result<Policy, ScanError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScanError::Usage(format!("cannot read the site policy {}: {e}", path.display())))?;
        let policy = SitePolicy::parse(&path.display().to_string(), &text).map_err(|e| {
            ScanError::Usage(format!("the site policy is invalid (`kelisim site check` tells the same):\n{e}"))
        })?;
        Ok(Policy { policy, path: path.to_owned(), text })
    };
    match (&o.policy, &o.site) {
        (Some(file), site) => {
            let p = read(file)?;
            if let Some(id) = site.as_deref().filter(|id| *id != p.policy.id) {
                return Err(ScanError::Usage(format!(
                    "{} is the policy of site `{}`, not `{id}`",
                    file.display(),
                    p.policy.id
                )));
            }
            Ok(Some(p))
        }
        (None, Some(id)) => {
            // The file named after the site (as `www/sites/` names them), else any valid file
            // in the directory that declares the id.
            let named = o.sites.join(format!("{id}.toml"));
            if named.exists() {
                let p = read(&named)?;
                if p.policy.id == *id {
                    return Ok(Some(p));
                }
            }
            let dir = std::fs::read_dir(&o.sites).map_err(|e| {
                ScanError::Usage(format!("cannot read the sites directory {} ({e}): give it with --sites DIR, or the file with --policy FILE", o.sites.display()))
            })?;
            let mut files: Vec<PathBuf> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            files.iter().filter_map(|f| read(f).ok()).find(|p| p.policy.id == *id).map(Some).ok_or_else(|| {
                ScanError::Usage(format!("no valid site policy file in {} declares site `{id}`", o.sites.display()))
            })
        }
        (None, None) => Ok(None),
    }
}

/// Progress on stderr while pages load: one line per visit.
fn progress(show: bool, pass: Pass, n: usize, of: usize, v: &Visit) {
    if !show {
        return;
    }
    let what = match &v.error {
        Some(e) => format!("— {e}"),
        None => {
            let requests = v.requests.len();
            format!(
                "— {} cookie{}, {} storage key{}, {} request{}{}",
                v.cookies.len(),
                if v.cookies.len() == 1 { "" } else { "s" },
                v.storage.len(),
                if v.storage.len() == 1 { "" } else { "s" },
                requests,
                if requests == 1 { "" } else { "s" },
                match v.clicked {
                    Some(true) => format!(", clicked {}", pass.action().unwrap_or("")),
                    Some(false) => ", the banner never appeared".into(),
                    None => String::new(),
                }
            )
        }
    };
    eprintln!("scan: [{}] {n}/{of} {} {what}", pass.label(), v.page);
}

/// The three passes, each in a fresh browser. The first finds the pages (following
/// same-origin links, breadth first); then the Accept all and Reject all passes visit the
/// same pages side by side (two browsers: most of a visit is waiting for the page).
async fn passes(
    binary: &Path,
    start: &url::Url,
    max_pages: usize,
    timeout: Duration,
    show: bool,
) -> Result<Seen, ScanError> {
    let browser = chromium::Chromium::launch(binary, timeout).await?;
    let version = browser.version().await;
    let first = discover(&browser, start, max_pages, timeout, show).await;
    browser.close().await;
    let (pages, mut visits, placement) = first?;
    // A page that failed in the first pass is reported, not visited again.
    let failed: BTreeSet<&str> =
        visits.iter().filter(|(_, v)| v.error.is_some()).map(|(_, v)| v.page.as_str()).collect();
    let todo: Vec<String> = pages.iter().filter(|p| !failed.contains(p.as_str())).cloned().collect();
    let (accept, reject) = tokio::join!(
        choose(binary, Pass::Accept, &todo, timeout, show),
        choose(binary, Pass::Reject, &todo, timeout, show)
    );
    visits.extend(accept?);
    visits.extend(reject?);
    Ok(Seen { pages, visits, version, placement })
}

/// The first pass: no choice; follows same-origin links from `start` up to `max_pages`.
/// On the first page it also reads where the HTML puts the loader.
async fn discover(
    browser: &chromium::Chromium,
    start: &url::Url,
    max_pages: usize,
    timeout: Duration,
    show: bool,
) -> Result<(Vec<String>, Vec<(Pass, Visit)>, Option<Placement>), ScanError> {
    let mut placement = None;
    let pass = Pass::Before;
    // The site's origin is where the first page lands (http:// may redirect to https://www.).
    let mut origin = start.origin();
    let mut tab = visit::Tab::open(browser).await?;
    let mut pages: Vec<String> = Vec::new();
    let mut visits = Vec::new();
    let mut queue: VecDeque<String> = VecDeque::from([page_key(start)]);
    let mut known: BTreeSet<String> = queue.iter().cloned().collect();
    while let Some(page) = queue.pop_front() {
        if pages.len() >= max_pages {
            break;
        }
        let v = tab.visit(&page, None, true, timeout).await;
        if pages.is_empty() {
            let unreachable = match (&v.error, v.status.filter(|s| *s >= 400)) {
                (Some(e), _) => Some(format!("{page} {e}: check the address and that the site is up")),
                (None, Some(s)) => {
                    Some(format!("{page} answers HTTP {s} instead of a page: give the address of one that loads"))
                }
                _ => None,
            };
            if let Some(why) = unreachable {
                tab.close().await;
                return Err(ScanError::Unreachable(why));
            }
            if let Some(landed) = v.landed.as_deref().and_then(|l| url::Url::parse(l).ok()) {
                origin = landed.origin();
                known.insert(page_key(&landed));
            }
            placement = Some(tab.placement().await);
        }
        let n = pages.len() + 1;
        progress(show, pass, n, max_pages.min(n + queue.len()), &v);
        if v.error.is_none() {
            for link in &v.links {
                let Ok(u) = url::Url::parse(link) else { continue };
                if u.origin() != origin {
                    continue;
                }
                let key = page_key(&u);
                if known.insert(key.clone()) {
                    queue.push_back(key);
                }
            }
        }
        pages.push(page);
        visits.push((pass, v));
    }
    tab.close().await;
    Ok((pages, visits, placement))
}

/// The Accept all or Reject all pass over `pages`, in a browser of its own. The choice is
/// made once, on the first page, as a visitor would; the later pages load with the decision
/// stored. Without the banner one try is enough: the pass is reported incomplete.
async fn choose(
    binary: &Path,
    pass: Pass,
    pages: &[String],
    timeout: Duration,
    show: bool,
) -> Result<Vec<(Pass, Visit)>, ScanError> {
    let browser = chromium::Chromium::launch(binary, timeout).await?;
    let mut visits = Vec::new();
    let result = async {
        let mut tab = visit::Tab::open(&browser).await?;
        let mut chose = false;
        for (i, page) in pages.iter().enumerate() {
            let click = if chose { None } else { pass.action() };
            let v = tab.visit(page, click, false, timeout).await;
            if v.clicked.is_some() && v.error.is_none() {
                chose = true;
            }
            progress(show, pass, i + 1, pages.len(), &v);
            visits.push((pass, v));
        }
        tab.close().await;
        Ok::<(), ScanError>(())
    }
    .await;
    browser.close().await;
    result.map(|()| visits)
}

/// A page's identity for following links: the URL without its fragment.
fn page_key(u: &url::Url) -> String {
    let mut u = u.clone();
    u.set_fragment(None);
    u.to_string()
}
