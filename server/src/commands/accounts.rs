//! `kelisim admin add` and `kelisim token …`: dashboard accounts and API tokens.

use super::{accounts, DataOpts};
use crate::admin::auth::{expiry, Role};
use anyhow::{anyhow, bail, Context};

pub fn admin_add(user: &str, role: &str, password_stdin: bool, o: &DataOpts) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| anyhow!("the role must be admin or auditor"))?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let p = rpassword::prompt_password(format!("Password for {user}: "))
            .map_err(|e| anyhow!("cannot read the password: {e} (use --password-stdin)"))?;
        let again = rpassword::prompt_password("Again: ")?;
        if p != again {
            bail!("the two passwords differ");
        }
        p
    };
    accounts(o, true)?.add(user, &password, role, "cli")?;
    println!("added {user} ({})", role.as_str());
    Ok(())
}

pub fn token_create(role: &str, name: &str, expires: Option<&str>, o: &DataOpts) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| anyhow!("the role must be admin or auditor"))?;
    let expires_at = expires.map(|e| expiry(e, time::OffsetDateTime::now_utc())).transpose()?;
    let (id, token) = accounts(o, true)?.create_token(name, role, expires_at.as_deref(), "cli")?;
    println!("{token}");
    let until = expires_at.map(|e| format!(", valid until {e}")).unwrap_or_default();
    // The command that ends it names the same database.
    let on = match &o.database {
        Some(url) => format!(" --database {}", crate::store::pg::redacted(url)),
        None => String::new(),
    };
    eprintln!("Token #{id} ({name}, {}{until}). It is shown once; only its hash is stored. Send it as `Authorization: Bearer <token>`; `kelisim token revoke {id}{on}` ends it.", role.as_str());
    Ok(())
}

pub fn token_list(o: &DataOpts) -> anyhow::Result<()> {
    let tokens = accounts(o, false)?.tokens()?;
    if tokens.is_empty() {
        eprintln!("no API tokens (`kelisim token create` makes one)");
        return Ok(());
    }
    let day = |t: &Option<String>| {
        t.as_deref().map(|t| t.get(..16).unwrap_or(t).replace('T', " ")).unwrap_or_else(|| "-".into())
    };
    println!(
        "{:>4}  {:<20} {:<8} {:<16} {:<16} {:<16} STATUS",
        "ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST USED"
    );
    for t in tokens {
        let status = match (&t.revoked_at, &t.revoked_by) {
            (Some(at), Some(by)) => format!("revoked {} by {by}", day(&Some(at.clone()))),
            _ => t.status.as_str().to_owned(),
        };
        println!(
            "{:>4}  {:<20} {:<8} {:<16} {:<16} {:<16} {status}",
            t.id,
            t.name,
            t.role.as_str(),
            day(&Some(t.created_at.clone())),
            day(&t.expires_at),
            day(&t.last_used_at)
        );
    }
    Ok(())
}

pub fn token_revoke(id: i64, o: &DataOpts) -> anyhow::Result<()> {
    let accounts = accounts(o, false)?;
    if !accounts.revoke_token(id, "cli")? {
        bail!("there is no active token #{id} (`kelisim token list` shows them)");
    }
    println!("revoked token #{id}");
    Ok(())
}
