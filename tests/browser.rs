//! The html report in a real browser: headless Chromium loads the report of
//! the fixture bundles, must log no script error or console message, and
//! the DOM it builds must hold every stun mark and both thresholds of every
//! timeline. A screenshot is kept in `target/tmp/browser/`.
//!
//! Without Chromium the test skips with a message; with
//! `STUNSCAN_REQUIRE_BROWSER=1` (as `.ci/run` sets) it fails instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Every fixture bundle (`fixtures/bundles/*.tgz`, `*.zip`), by name.
fn bundles() -> Vec<String> {
    let mut b: Vec<String> = std::fs::read_dir(fixture("bundles"))
        .expect("fixtures/bundles")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tgz") || n.ends_with(".zip"))
        .map(|n| format!("fixtures/bundles/{n}"))
        .collect();
    b.sort();
    b
}

/// The browser: `$STUNSCAN_CHROMIUM` when set (a path that is not a file
/// means none), else the first of Debian's and others' names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("STUNSCAN_CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Runs the browser on `page` with `extra` arguments; returns its standard
/// output and standard error. A browser that hangs is killed after a minute.
fn browse(browser: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the browser starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{} did not finish within a minute", browser.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console output of the page (Chromium logs it as `…:CONSOLE(…)]`): the
/// report has no script, so any is a fault.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn html_report_renders_in_chromium() {
    let required = std::env::var_os("STUNSCAN_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    let Some(browser) = chromium() else {
        assert!(
            !required,
            "STUNSCAN_REQUIRE_BROWSER=1 but no Chromium found: apt-get install -y chromium"
        );
        eprintln!(
            "skipped: Chromium is not installed (apt-get install -y chromium); set STUNSCAN_REQUIRE_BROWSER=1 to make this a failure"
        );
        return;
    };
    let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&keep).expect("target/tmp/browser");

    // All bundles in one report, then each on its own.
    let all = bundles();
    assert!(all.len() >= 2, "{all:?}");
    let mut runs: Vec<(String, Vec<&str>)> = vec![(
        "report".to_owned(),
        all.iter().map(String::as_str).collect(),
    )];
    for b in &all {
        let name = b.rsplit('/').next().unwrap_or(b).to_owned();
        runs.push((name, vec![b.as_str()]));
    }
    // And one with the database's own logs, drawn on the timelines.
    let db: Vec<&str> = DB_ARGS
        .iter()
        .copied()
        .chain(["fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz"])
        .collect();
    runs.push(("database".to_owned(), db));
    for (name, inputs) in &runs {
        let mut args = vec!["--format", "html"];
        args.extend_from_slice(inputs);
        let (html, err, code) = run(&args);
        // A bundle with a missing fragment is reported, with exit 2.
        assert!(
            code == 0 || (code == 2 && html.contains("Input errors")),
            "{err}"
        );
        let page = keep.join(format!("{name}.html"));
        std::fs::write(&page, &html).expect("page written");
        let (v, _) = json(inputs);
        let events = v["summary"]["events"].as_u64().expect("summary.events") as usize;
        let vms = v["vms"]
            .as_array()
            .expect("vms[]")
            .iter()
            .filter(|vm| vm["events"].as_u64() > Some(0))
            .count();

        let (dom, log) = browse(&browser, &page, &["--dump-dom"]);
        assert!(
            console_lines(&log).is_empty(),
            "{name}: the page logged to the console:\n{}",
            console_lines(&log).join("\n")
        );
        assert!(dom.contains("<svg class=\"timeline\""), "{name}: {dom}");
        assert_eq!(
            dom.matches("data-stun-us=").count(),
            events,
            "{name}: one mark per stun in the rendered DOM"
        );
        assert_eq!(dom.matches("data-threshold=\"q2\"").count(), vms, "{name}");
        assert_eq!(dom.matches("data-threshold=\"q\"").count(), vms, "{name}");
        assert!(dom.contains("class=\"histogram\""), "{name}");
        if name == "database" {
            assert!(dom.contains("data-db-kind=\"takeover\""), "{name}");
            assert!(dom.contains("<rect class=\"freeze\""), "{name}");
        }

        let shot = keep.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        let (_, log) = browse(&browser, &page, &[&arg, "--window-size=1280,3200"]);
        assert!(console_lines(&log).is_empty(), "{name}: {log}");
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{name}: no screenshot ({e})"));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
        eprintln!("screenshot kept: {}", shot.display());
    }
}
