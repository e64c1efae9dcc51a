//! Dashboard accounts and sessions for the tests: an account added with the CLI, a login over
//! HTTP, a session's cookie and CSRF token, an API token.

use crate::{cli_stdin, get, post_form, Kelisim, Resp};

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// `kelisim admin add USER --role ROLE` on the server's data directory.
pub fn add_account(k: &Kelisim, user: &str, role: &str) {
    let mut args = vec!["admin", "add", user, "--role", role, "--password-stdin"];
    let data = k.data_args();
    args.extend(data.iter().map(String::as_str));
    let out = cli_stdin(&args, &format!("{PASSWORD}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `kelisim token create --role ROLE`: the token.
pub fn token(k: &Kelisim, role: &str) -> String {
    let mut args = vec!["token", "create", "--role", role, "--name", "ci"];
    let data = k.data_args();
    args.extend(data.iter().map(String::as_str));
    let out = cli_stdin(&args, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Logs in over HTTP.
pub fn login(k: &Kelisim, user: &str, password: &str) -> Resp {
    post_form(&k.url("/admin/login"), &[], &[("username", user), ("password", password)])
}

/// Logs in (with [`PASSWORD`]); returns the session cookie (`kelisim_admin=…`) and the CSRF
/// token of the pages.
pub fn session(k: &Kelisim, user: &str) -> (String, String) {
    let r = login(k, user, PASSWORD);
    assert_eq!(r.status, 303, "{}", r.body);
    let line = r.set_cookie_line("kelisim_admin").unwrap().to_ascii_lowercase();
    assert!(line.contains("httponly") && line.contains("samesite=strict") && line.contains("path=/admin"), "{line}");
    let cookie = format!("kelisim_admin={}", r.set_cookie("kelisim_admin").unwrap());
    let page = get(&k.url("/admin/"), &[("cookie", &cookie)]);
    assert_eq!(page.status, 200);
    (cookie, csrf_of(&page.body))
}

/// The CSRF token a dashboard page's forms carry.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}
