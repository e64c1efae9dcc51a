//! The widget assets are embedded from `target/widget-dist/`, which `cargo xtask build` fills.
//! Make sure the folder exists so that a plain `cargo build` works too (the server then answers
//! `/kelisim.js` with a clear "widget not built" error instead of failing to compile).
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/widget-dist");
    let _ = std::fs::create_dir_all(&dist);
    println!("cargo:rerun-if-changed=../target/widget-dist");
    println!("cargo:rerun-if-changed=../www");
}
