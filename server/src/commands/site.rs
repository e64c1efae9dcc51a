//! `kelisim site check` and `kelisim policy import`: the site policy files.

use super::CheckFailed;
use crate::{import, sites};
use anyhow::{anyhow, bail, Context};
use std::path::{Path, PathBuf};

/// What `policy import` writes.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// The draft site policy file.
    Toml,
    /// The findings, for tools.
    Json,
}

pub fn site_check(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut bad = 0;
    for f in files {
        match sites::parse_file(f) {
            Ok(p) => {
                // `[[review]]` entries (from `kelisim scan --write-policy`) and visitor texts that
                // read like notes for the operator keep the file valid but are listed, each with
                // its line, until a person resolves them.
                let notes =
                    std::fs::read_to_string(f).map(|text| p.notes(&f.display().to_string(), &text)).unwrap_or_default();
                let review = match p.review.len() {
                    0 => String::new(),
                    1 => "; 1 item awaits review".into(),
                    n => format!("; {n} items await review"),
                };
                let texts = match notes.len() - p.review.len().min(notes.len()) {
                    0 => String::new(),
                    1 => "; 1 visitor text reads like a note".into(),
                    n => format!("; {n} visitor texts read like notes"),
                };
                println!(
                    "{}: ok (site `{}`, {} categories, config version {}{review}{texts})",
                    f.display(),
                    p.id,
                    p.categories.len(),
                    &p.config().version[..12]
                );
                // What the services catalogue filled in for services named by id.
                for f in &p.filled {
                    println!(
                        "  category `{}`, service `{}`: {} from the services catalogue",
                        f.category,
                        f.service,
                        f.fields.join(", ")
                    );
                }
                for n in notes {
                    eprintln!("{n}");
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    match bad {
        0 => Ok(()),
        1 => Err(CheckFailed("1 site policy file is invalid".into()).into()),
        n => Err(CheckFailed(format!("{n} site policy files are invalid")).into()),
    }
}

pub fn policy_import(
    file: &Path,
    id: &str,
    out: Option<&Path>,
    format: ImportFormat,
    languages: Option<Vec<String>>,
    force: bool,
) -> anyhow::Result<()> {
    use kelisim_shared::lang::Lang;
    use std::io::{Read, Write};
    if !kelisim_shared::is_slug(id) {
        bail!("`{id}` is not a site id: use 1–32 of a-z, 0-9, `_` and `-`, starting with a letter");
    }
    let languages = match languages {
        None => None,
        Some(tags) => {
            let mut langs = Vec::new();
            for t in &tags {
                let l = Lang::from_tag(t)
                    .ok_or_else(|| anyhow!("`{t}` is not a language Kelisim speaks: use kk, ru and en"))?;
                if !langs.contains(&l) {
                    langs.push(l);
                }
            }
            if !(langs.contains(&Lang::Kk) && langs.contains(&Lang::Ru)) {
                bail!("--languages must include kk and ru: a site's texts must be in Kazakh and Russian (Law on Languages Art. 21)");
            }
            Some(langs)
        }
    };
    let stdin = file.as_os_str() == "-";
    let shown = if stdin { "standard input".to_owned() } else { file.display().to_string() };
    let bytes = if stdin {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).context("cannot read standard input")?;
        b
    } else {
        std::fs::read(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!("cannot read {}: there is no such file", file.display()),
            _ => anyhow!(e).context(format!("cannot read {}", file.display())),
        })?
    };
    let source = if stdin {
        shown.clone()
    } else {
        file.file_name().map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned())
    };
    let imported = import::Import::read(&bytes, id, &source, languages).map_err(|e| anyhow!("{shown} {e}"))?;
    let draft = imported.draft();
    let text = match format {
        ImportFormat::Toml => draft.text,
        ImportFormat::Json => imported.report_json() + "\n",
    };
    match out {
        Some(path) => {
            if path.exists() && !force {
                bail!("{} already exists: choose another --out, or add --force to overwrite it", path.display());
            }
            std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => std::io::stdout().write_all(text.as_bytes()).context("cannot write the draft")?,
    }
    let categories: Vec<&str> = imported.categories().iter().map(|c| c.id()).collect();
    let check = out.map_or_else(|| "the saved draft".into(), |p| p.display().to_string());
    eprintln!(
        "kelisim: drafted site `{id}` from {source} ({}): categories {}; {} TODO{} left for a person to fill in (`kelisim site check {check}` lists them)",
        imported.language().code(),
        categories.join(", "),
        draft.todos.len(),
        if draft.todos.len() == 1 { "" } else { "s" },
    );
    for w in imported.warnings() {
        eprintln!("kelisim: warning: {w}");
    }
    Ok(())
}
