//! `cargo xtask`: set-up, checks and serving for StreamLab. It depends on nothing of ours and
//! only on std, so it builds in seconds on a new machine.
//!
//! - `cargo xtask serve [--port N]`: installs what is missing, builds, serves the playground.
//! - `cargo xtask test`: installs what is missing, runs every check, ends with one summary line.
//! - `cargo xtask setup`: only the installs.
//! - `cargo xtask bench`: the engine's criterion benchmarks, a 1 h IoT run of the release CLI,
//!   and the size of the release wasm (numbers for BENCHMARKS.md; nothing is asserted).
//!
//! Installs are idempotent and pinned (see ../shared/TOOLCHAIN.md for why each pin): the
//! wasm32 target, Trunk, wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version,
//! Chromium and ChromeDriver (Debian packages), and the npm packages of package-lock.json
//! (binaryen's wasm-opt, Playwright).

use std::env;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const TRUNK_VERSION: &str = "0.21.14";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(&root),
        Some("test") => test(&root),
        Some("bench") => bench(&root),
        Some("serve") => {
            let port = match args.iter().position(|a| a == "--port").and_then(|i| args.get(i + 1)) {
                Some(p) => match p.parse::<u16>() {
                    Ok(p) => p,
                    Err(_) => {
                        eprintln!("xtask serve: --port must be a number between 1 and 65535, got \"{p}\"");
                        return ExitCode::FAILURE;
                    }
                },
                None => 8080,
            };
            serve(&root, port)
        }
        _ => {
            eprintln!("usage: cargo xtask <serve [--port N] | test | bench | setup>");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    let manifest = env::var("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("xtask"));
    manifest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo_home() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

/// PATH with `$CARGO_HOME/bin` (where `cargo install` puts Trunk and wasm-bindgen) and
/// `node_modules/.bin` (wasm-opt, playwright) in front, for every child process.
fn set_path(root: &Path) {
    let mut paths = vec![root.join("node_modules/.bin"), cargo_home().join("bin")];
    paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    if let Ok(joined) = env::join_paths(paths) {
        env::set_var("PATH", joined);
    }
}

/// Runs a command, echoing it; Ok if it exits 0.
fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{:?}", cmd).replace('"', "");
    println!("$ {shown}");
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{shown}` failed ({s})")),
        Err(e) => Err(format!("`{shown}` could not start: {e}")),
    }
}

/// A command's standard output, if it runs and exits 0.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs `check`; if it says the tool is missing, runs `install`. Prints what it did and how long.
fn ensure(name: &str, check: impl Fn() -> bool, install: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let start = Instant::now();
    if check() {
        println!("[setup] {name}: present");
        return Ok(());
    }
    println!("[setup] {name}: installing ...");
    install()?;
    if !check() {
        return Err(format!("{name}: still missing after the install"));
    }
    println!("[setup] {name}: installed in {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The `wasm-bindgen` version Cargo.lock pins; wasm-bindgen-cli must be the same.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

fn setup(root: &Path) -> Result<(), String> {
    set_path(root);
    let total = Instant::now();
    ensure(
        "rust target wasm32-unknown-unknown",
        || {
            output("rustup", &["target", "list", "--installed"])
                .is_some_and(|o| o.lines().any(|l| l == "wasm32-unknown-unknown"))
        },
        || run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
    )?;
    ensure(
        "chromium + chromium-driver (Debian)",
        || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        || {
            run(Command::new("apt-get").args(["update", "-qq"]))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"))
        },
    )?;
    ensure(
        &format!("trunk {TRUNK_VERSION}"),
        || output("trunk", &["--version"]).is_some_and(|v| v == format!("trunk {TRUNK_VERSION}")),
        || run(Command::new("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"])),
    )?;
    let wb = locked_wasm_bindgen_version(root)?;
    ensure(
        &format!("wasm-bindgen-cli {wb} (= Cargo.lock)"),
        || output("wasm-bindgen", &["--version"]).is_some_and(|v| v == format!("wasm-bindgen {wb}")),
        // Not --locked: its lockfile pins a webpki-roots release the registry no longer has.
        || run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wb])),
    )?;
    let lock_stamp = root.join("node_modules/.package-lock.json");
    ensure(
        "npm packages (binaryen wasm-opt, Playwright) from package-lock.json",
        || {
            let fresh = match (std::fs::metadata(&lock_stamp), std::fs::metadata(root.join("package-lock.json"))) {
                (Ok(stamp), Ok(lock)) => stamp.modified().ok() >= lock.modified().ok(),
                _ => false,
            };
            fresh
                && root.join("node_modules/.bin/wasm-opt").exists()
                && root.join("node_modules/@playwright/test").exists()
        },
        || run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"])),
    )?;
    println!("[setup] all tools ready ({:.0} s)", total.elapsed().as_secs_f64());
    Ok(())
}

fn trunk_build() -> Result<(), String> {
    run(Command::new("trunk").args(["build", "index.html", "--release"]))
}

fn serve(root: &Path, port: u16) -> Result<(), String> {
    setup(root)?;
    trunk_build()?;
    let url = format!("http://127.0.0.1:{port}");
    println!("\nStreamLab is served at {url}  (Ctrl-C stops it)\n");
    run(Command::new("trunk").args([
        "serve",
        "index.html",
        "--release",
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]))
}

fn bench(root: &Path) -> Result<(), String> {
    setup(root)?;
    println!("\n=== criterion: crates/engine/benches/engine.rs");
    run(Command::new("cargo").args(["bench", "-p", "streamlab-engine", "--bench", "engine"]))?;

    println!("\n=== 1 h of 1000 IoT sensors through the release CLI (crates/engine/benches/iot-1h.json)");
    run(Command::new("cargo").args(["build", "--release", "-p", "streamlab-cli"]))?;
    let target = env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let start = Instant::now();
    run(Command::new(target.join("release/streamlab")).args([
        "run",
        "--scenario",
        "crates/engine/benches/iot-1h.json",
        "--format",
        "text",
    ]))?;
    let secs = start.elapsed().as_secs_f64();
    println!("[bench] 3,600,001 records in {secs:.1} s: {:.0} records/s", 3_600_001.0 / secs);

    println!("\n=== release wasm");
    trunk_build()?;
    let wasm = std::fs::read_dir("dist")
        .map_err(|e| format!("dist/: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .ok_or("dist/ has no .wasm file")?;
    let raw = std::fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    let gzipped = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()
        .map(|o| o.stdout.len().to_string())
        .unwrap_or_else(|e| format!("? (gzip: {e})"));
    println!("[bench] {}: {raw} bytes raw, {gzipped} bytes with gzip -9", wasm.display());
    Ok(())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(8765)
}

fn test(root: &Path) -> Result<(), String> {
    setup(root)?;
    let wasm_runner = "wasm-bindgen-test-runner";
    type Step = (&'static str, Box<dyn Fn() -> Result<(), String>>);
    let steps: Vec<Step> = vec![
        ("cargo fmt --check", Box::new(|| run(Command::new("cargo").args(["fmt", "--all", "--", "--check"])))),
        (
            "cargo clippy (native, all targets; and the web app for wasm32)",
            Box::new(|| {
                run(Command::new("cargo").args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
                run(Command::new("cargo").args([
                    "clippy",
                    "-p",
                    "streamlab",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
        ),
        ("native tests (every crate)", Box::new(|| run(Command::new("cargo").args(["test", "--workspace"])))),
        (
            "engine tests in wasm32 (wasm-bindgen-test, headless Chromium)",
            Box::new(move || {
                run(Command::new("cargo")
                    .args(["test", "-p", "streamlab-engine", "--target", "wasm32-unknown-unknown", "--tests"])
                    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", wasm_runner)
                    .env("CHROMEDRIVER", CHROMEDRIVER))
            }),
        ),
        ("trunk build --release", Box::new(trunk_build)),
        (
            "end-to-end (Playwright, headless Chromium, dist/ on 127.0.0.1)",
            Box::new(|| {
                std::fs::create_dir_all("target/e2e").map_err(|e| e.to_string())?;
                run(Command::new("playwright")
                    .args(["test"])
                    .env("STREAMLAB_E2E_PORT", free_port().to_string())
                    .env("CHROMIUM", CHROMIUM))
            }),
        ),
    ];
    let mut failed = vec![];
    let mut passed = 0;
    for (name, step) in &steps {
        println!("\n=== {name}");
        let start = Instant::now();
        // The e2e test serves dist/, which only a successful build makes.
        let result = if name.starts_with("end-to-end") && failed.iter().any(|f: &&str| f.starts_with("trunk")) {
            Err("skipped: the trunk build failed".to_string())
        } else {
            step()
        };
        match result {
            Ok(()) => {
                passed += 1;
                println!("=== ok: {name} ({:.0} s)", start.elapsed().as_secs_f64());
            }
            Err(e) => {
                println!("=== FAILED: {name}: {e}");
                failed.push(*name);
            }
        }
    }
    println!();
    for f in &failed {
        println!("failed: {f}");
    }
    println!("xtask: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} of {} checks failed", failed.len(), steps.len()))
    }
}
