//! `cargo xtask`: set-up, checks and serving for StreamLab. It depends on nothing of ours and
//! only on std, so it builds in seconds on a new machine.
//!
//! - `cargo xtask serve [--port N]`: installs what is missing, builds, serves the playground.
//! - `cargo xtask test`: installs what is missing, runs every check, ends with one summary line.
//! - `cargo xtask soak [--seeds N] [--from S]`: the soak harness (`streamlab soak`) in release.
//! - `cargo xtask setup`: only the installs.
//! - `cargo xtask bench`: the budget benchmarks (`crates/bench`: pipeline, iot-1h, windows)
//!   natively and as wasm under Node's WASI, the page at max speed in headless Chromium, the
//!   shipped wasm + JS size, and the engine's criterion benchmarks; writes the figures, with
//!   "met" or "not met" for each budget line, into BENCHMARKS.md (nothing is asserted).
//!
//! Installs are idempotent and pinned (see ../shared/TOOLCHAIN.md for why each pin): the
//! wasm32 targets (browser, and WASI for the benchmarks), Trunk, wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version,
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
        Some("soak") => {
            let value = |flag: &str, default: u64| -> Result<u64, String> {
                match args.iter().position(|a| a == flag).map(|i| args.get(i + 1)) {
                    None => Ok(default),
                    Some(Some(v)) => {
                        v.parse::<u64>().map_err(|_| format!("soak: {flag} must be a whole number, got \"{v}\""))
                    }
                    Some(None) => Err(format!("soak: {flag} needs a number")),
                }
            };
            match (value("--seeds", 1000), value("--from", 0)) {
                (Ok(seeds), Ok(from)) => soak(seeds, from, None),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
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
            eprintln!("usage: cargo xtask <serve [--port N] | test | bench | soak [--seeds N] [--from S] | setup>");
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
    // The browser's target, and WASI's for running the benchmarks as wasm under Node.
    for target in ["wasm32-unknown-unknown", "wasm32-wasip1"] {
        ensure(
            &format!("rust target {target}"),
            || output("rustup", &["target", "list", "--installed"]).is_some_and(|o| o.lines().any(|l| l == target)),
            || run(Command::new("rustup").args(["target", "add", target])),
        )?;
    }
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

/// The number after `"key":` in a one-line JSON object (the benchmarks print flat figures).
fn json_number(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end =
        rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Runs a command and returns its standard output's last line, echoing the command.
fn last_line(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{:?}", cmd).replace('"', "");
    println!("$ {shown}");
    let out = cmd.output().map_err(|e| format!("`{shown}` could not start: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("").to_string();
    println!("{line}");
    Ok(line)
}

fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

const BENCHMARKS: [&str; 3] = ["pipeline", "iot-1h", "windows"];

/// Runs every budget benchmark natively and as wasm; `quick` runs the smallest configurations.
/// Returns each benchmark's JSON line, native then wasm.
fn budget_benchmarks(root: &Path, quick: bool) -> Result<Vec<(String, String, String)>, String> {
    let profile: &[&str] = if quick { &[] } else { &["--release"] };
    run(Command::new("cargo").args(["build", "-p", "streamlab-bench"]).args(profile))?;
    run(Command::new("cargo").args(["build", "-p", "streamlab-bench", "--target", "wasm32-wasip1"]).args(profile))?;
    let dir = if quick { "debug" } else { "release" };
    let native = target_dir(root).join(dir).join("streamlab-bench");
    let wasm = target_dir(root).join("wasm32-wasip1").join(dir).join("streamlab-bench.wasm");
    let mut out = vec![];
    for b in BENCHMARKS {
        let mut args = vec![b];
        if quick {
            args.push("--quick");
        }
        let n = last_line(Command::new(&native).args(&args))?;
        let w =
            last_line(Command::new("node").arg("--no-warnings").arg("xtask/js/wasi-run.mjs").arg(&wasm).args(&args))?;
        for line in [&n, &w] {
            if json_number(line, "records_per_s").is_none_or(|r| r <= 0.0) {
                return Err(format!("benchmark {b} reported no throughput: {line}"));
            }
        }
        out.push((b.to_string(), n, w));
    }
    Ok(out)
}

/// `streamlab check` on every exercise and the course index in static/exercises/: each
/// exercise's reference solution must meet its goal, and its starting state must not.
fn check_exercises(root: &Path) -> Result<(), String> {
    run(Command::new("cargo").args(["build", "-p", "streamlab-cli"]))?;
    let cli = target_dir(root).join("debug").join("streamlab");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("static/exercises"))
        .map_err(|e| format!("static/exercises: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let failed: Vec<String> = files
        .iter()
        .filter(|f| run(Command::new(&cli).arg("check").arg(f)).is_err())
        .map(|f| f.display().to_string())
        .collect();
    if failed.is_empty() {
        println!("{} files checked", files.len());
        Ok(())
    } else {
        Err(format!("streamlab check failed on {}", failed.join(", ")))
    }
}

/// Serves dist/ on a free port while `f` runs.
fn with_dist_served<T>(f: impl FnOnce(&str) -> Result<T, String>) -> Result<T, String> {
    let port = free_port();
    let mut server = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory", "dist"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("python3 -m http.server: {e}"))?;
    let url = format!("http://127.0.0.1:{port}/");
    // Wait until it answers (at most 10 s).
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let result = f(&url);
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// The page benchmark (tests/bench/page.bench.js) against the built dist/.
fn page_benchmark(quick: bool) -> Result<String, String> {
    with_dist_served(|url| {
        let mut cmd = Command::new("node");
        cmd.arg("tests/bench/page.bench.js").arg(url).env("CHROMIUM", CHROMIUM);
        if quick {
            cmd.arg("--quick");
        }
        last_line(&mut cmd)
    })
}

/// Bytes of the shipped wasm and JS in dist/, raw and with `gzip -9`.
fn shipped_size() -> Result<(u64, u64), String> {
    let mut raw = 0;
    let mut gz = 0;
    for e in std::fs::read_dir("dist").map_err(|e| format!("dist/: {e}"))? {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "wasm" || x == "js") {
            raw += std::fs::metadata(&p).map_err(|e| e.to_string())?.len();
            let out = Command::new("gzip").args(["-9", "-c"]).arg(&p).output().map_err(|e| format!("gzip: {e}"))?;
            gz += out.stdout.len() as u64;
        }
    }
    Ok((raw, gz))
}

fn fmt_int(n: f64) -> String {
    let s = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "met", or "not met by N%" for a figure that should be at least (`more`) or at most `budget`.
fn verdict(value: f64, budget: f64, more: bool) -> String {
    let ok = if more { value >= budget } else { value <= budget };
    if ok {
        "met".into()
    } else {
        let by = if more { (budget - value) / budget } else { (value - budget) / budget };
        format!("**not met**, by {:.0}%", by * 100.0)
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let rustc = output("rustc", &["--version"]).unwrap_or_default();
    let node = output("node", &["--version"]).unwrap_or_default();
    let chromium = output(CHROMIUM, &["--version"]).unwrap_or_default();
    format!("{cpu}, {cores} cores, {} ({rustc}; Node {node}; {chromium})", env::consts::ARCH)
}

/// Writes the measured block of BENCHMARKS.md (between its markers), keeping the rest.
fn write_benchmarks(runs: &[(String, String, String)], page: &str, size: (u64, u64)) -> Result<(), String> {
    let get = |b: &str, native: bool, key: &str| -> f64 {
        runs.iter()
            .find(|(n, _, _)| n == b)
            .and_then(|(_, n, w)| json_number(if native { n } else { w }, key))
            .unwrap_or(f64::NAN)
    };
    let mut t = String::new();
    t.push_str(&format!("Measured by `cargo xtask bench` on {}.\n\n", machine()));
    t.push_str("| benchmark | native | wasm (Node WASI) | wasm / native | peak memory native / wasm |\n| --- | ---: | ---: | ---: | ---: |\n");
    for (b, what) in [("pipeline", "records/s"), ("iot-1h", "records/s"), ("windows", "events/s")] {
        let (n, w) = (get(b, true, "records_per_s"), get(b, false, "records_per_s"));
        t.push_str(&format!(
            "| `{b}` | {} {what} ({:.2} s) | {} {what} ({:.2} s) | {:.2} | {:.0} MB / {:.0} MB |\n",
            fmt_int(n),
            get(b, true, "seconds"),
            fmt_int(w),
            get(b, false, "seconds"),
            n / w,
            get(b, true, "peak_memory_bytes") / 1e6,
            get(b, false, "peak_memory_bytes") / 1e6
        ));
    }
    let p95 = json_number(page, "frame_ms_p95").unwrap_or(f64::NAN);
    let tab = json_number(page, "tab_memory_bytes").unwrap_or(f64::NAN);
    let speed = json_number(page, "achieved_speed").unwrap_or(f64::NAN);
    t.push_str(&format!(
        "\nThe page (IoT preset, speed max, every view open, headless Chromium, after 2 s of warm-up): frame time p50 {:.1} ms, p95 {p95:.1} ms, max {:.1} ms, {:.1}% of frames a vsync late or more; {:.0}x real time; after one simulated hour the tab holds {:.0} MB (JS heap {:.0} MB + wasm memory {:.0} MB).\n",
        json_number(page, "frame_ms_p50").unwrap_or(f64::NAN),
        json_number(page, "frame_ms_max").unwrap_or(f64::NAN),
        json_number(page, "frames_late_pct").unwrap_or(f64::NAN),
        speed,
        tab / 1e6,
        json_number(page, "js_heap_bytes").unwrap_or(f64::NAN) / 1e6,
        json_number(page, "wasm_memory_bytes").unwrap_or(f64::NAN) / 1e6,
    ));
    t.push_str(&format!(
        "\nShipped wasm + JS: {} bytes raw, {} bytes with `gzip -9`.\n\n",
        fmt_int(size.0 as f64),
        fmt_int(size.1 as f64)
    ));
    t.push_str("| budget line | budget | measured | verdict |\n| --- | --- | --- | --- |\n");
    let rows: Vec<(String, String, String, String)> = vec![
        (
            "`pipeline` native".into(),
            "≥ 2,500,000 records/s".into(),
            fmt_int(get("pipeline", true, "records_per_s")),
            verdict(get("pipeline", true, "records_per_s"), 2_500_000.0, true),
        ),
        (
            "`iot-1h` native".into(),
            "≥ 1,000,000 records/s (≤ 3.6 s)".into(),
            format!("{} ({:.2} s)", fmt_int(get("iot-1h", true, "records_per_s")), get("iot-1h", true, "seconds")),
            verdict(get("iot-1h", true, "records_per_s"), 1_000_000.0, true),
        ),
        (
            "`iot-1h` peak memory".into(),
            "≤ 256 MB".into(),
            format!("{:.0} MB", get("iot-1h", true, "peak_memory_bytes") / 1e6),
            verdict(get("iot-1h", true, "peak_memory_bytes"), 256e6, false),
        ),
        (
            "`windows` native".into(),
            "≥ 40,000,000 events/s".into(),
            fmt_int(get("windows", true, "records_per_s")),
            verdict(get("windows", true, "records_per_s"), 40_000_000.0, true),
        ),
    ];
    let mut rows = rows;
    for b in BENCHMARKS {
        let ratio = get(b, true, "records_per_s") / get(b, false, "records_per_s");
        rows.push((format!("`{b}` wasm / native"), "≤ 1.6".into(), format!("{ratio:.2}"), verdict(ratio, 1.6, false)));
    }
    rows.push(("page frame time p95".into(), "≤ 16.7 ms".into(), format!("{p95:.1} ms"), verdict(p95, 16.7, false)));
    rows.push((
        "tab memory after 1 simulated hour".into(),
        "≤ 300 MB".into(),
        format!("{:.0} MB", tab / 1e6),
        verdict(tab, 300e6, false),
    ));
    rows.push((
        "shipped wasm + JS, gzip".into(),
        "≤ 400 KB".into(),
        format!("{:.0} KB", size.1 as f64 / 1e3),
        verdict(size.1 as f64, 400e3, false),
    ));
    for (a, b, c, d) in rows {
        t.push_str(&format!("| {a} | {b} | {c} | {d} |\n"));
    }
    const BEGIN: &str = "<!-- xtask bench: begin -->";
    const END: &str = "<!-- xtask bench: end -->";
    let old = std::fs::read_to_string("BENCHMARKS.md").unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{BEGIN}\n{t}{}", &old[..a], &old[b..]),
        _ => format!("# Benchmarks\n\n{BEGIN}\n{t}{END}\n{old}"),
    };
    std::fs::write("BENCHMARKS.md", new).map_err(|e| format!("writing BENCHMARKS.md: {e}"))?;
    println!("[bench] BENCHMARKS.md updated");
    Ok(())
}

fn bench(root: &Path) -> Result<(), String> {
    setup(root)?;
    println!("\n=== budget benchmarks (crates/bench), native and wasm");
    let runs = budget_benchmarks(root, false)?;

    println!("\n=== release web build, its size, and the page at max speed");
    trunk_build()?;
    let size = shipped_size()?;
    println!("[bench] shipped wasm + JS: {} bytes raw, {} bytes gzip -9", size.0, size.1);
    let page = page_benchmark(false)?;
    write_benchmarks(&runs, &page, size)?;

    println!("\n=== criterion: crates/engine/benches/engine.rs");
    run(Command::new("cargo").args(["bench", "-p", "streamlab-engine", "--bench", "engine"]))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(8765)
}

/// `streamlab soak` in release: random scenarios and faults, every invariant after every event;
/// `idempotence` forces the producers' `enable.idempotence` (`on` or `off`).
fn soak(seeds: u64, from: u64, idempotence: Option<&str>) -> Result<(), String> {
    let (seeds, from) = (seeds.to_string(), from.to_string());
    let mut args =
        vec!["run", "--release", "-q", "-p", "streamlab-cli", "--", "soak", "--seeds", &seeds, "--from", &from];
    if let Some(i) = idempotence {
        args.extend(["--idempotence", i]);
    }
    run(Command::new("cargo").args(args))
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
        ("soak: 1,000 seeds, every invariant after every event (release)", Box::new(|| soak(1000, 0, None))),
        (
            "soak: 1,000 more seeds, every producer idempotent (no duplicate, send order kept)",
            Box::new(|| soak(1000, 1000, Some("on"))),
        ),
        (
            "guarantees: taxi, consumer crash at 10 s, 5% of produce responses dropped, seeds 1..50 (release): exactly-once exact on every seed, at-least-once duplicates and at-most-once loses on some",
            Box::new(|| {
                run(Command::new("cargo").args([
                    "run",
                    "--release",
                    "-q",
                    "-p",
                    "streamlab-cli",
                    "--",
                    "guarantees",
                    "--preset",
                    "taxi",
                    "--crash-consumer-at",
                    "10s",
                    "--drop-responses",
                    "0.05",
                    "--seeds",
                    "1..50",
                    "--check",
                ]))
            }),
        ),
        (
            "exercises: streamlab check on every file in static/exercises/",
            Box::new(|| check_exercises(&project_root())),
        ),
        (
            "engine tests in wasm32 (wasm-bindgen-test, headless Chromium)",
            Box::new(move || {
                run(Command::new("cargo")
                    .args(["test", "-p", "streamlab-engine", "--target", "wasm32-unknown-unknown", "--tests"])
                    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", wasm_runner)
                    .env("CHROMEDRIVER", CHROMEDRIVER))
            }),
        ),
        (
            "benchmarks, smallest configurations (native and wasm; they run and report, speed is not checked)",
            Box::new(|| budget_benchmarks(&project_root(), true).map(|_| ())),
        ),
        ("trunk build --release", Box::new(trunk_build)),
        (
            "page benchmark, smallest configuration (tests/bench/page.bench.js --quick)",
            Box::new(|| page_benchmark(true).map(|_| ())),
        ),
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
        let needs_dist = name.starts_with("end-to-end") || name.starts_with("page benchmark");
        let result = if needs_dist && failed.iter().any(|f: &&str| f.starts_with("trunk")) {
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
