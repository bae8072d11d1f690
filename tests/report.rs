//! The human formats through the real binary: the table at 80, 120 and 200
//! columns (and in a real terminal), markdown and html — snapshots, and
//! the properties a snapshot alone would not hold on to: no line wider
//! than the width, no time, duration or name cut across lines.

mod common;

use common::*;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// The fixture bundles: two hosts, three VMs, 11 stuns in 2025.
const BUNDLES: [&str; 2] = [
    "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz",
    "fixtures/bundles/vc-support.zip",
];

/// Runs with `args` and the environment `env`, COLUMNS and TERM unset
/// unless given; returns stdout.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = cmd();
    c.env_remove("COLUMNS").env_remove("TERM").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn table(width: usize, extra: &[&str]) -> String {
    let mut args = vec!["--format", "table", "--color", "never"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&BUNDLES);
    run_env(&args, &[("COLUMNS", &width.to_string())])
}

/// `1.091 s`, `341.6 ms`, as the table prints a stun (truncated).
fn human(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{}.{:03} s", us / 1_000_000, us % 1_000_000 / 1_000)
    } else {
        format!("{}.{} ms", us / 1_000, us % 1_000 / 100)
    }
}

/// Every time, duration and name the report must show whole, each within
/// one line: the events' stun lengths and times (`MM-DD HH:MM:SS.mmm`, as
/// all fixture times are in 2025) and the VM and host names.
fn whole_tokens(v: &Value) -> Vec<String> {
    let mut t = vec![];
    for e in v["events"].as_array().unwrap() {
        t.push(human(e["stun_us"].as_u64().unwrap()));
        let time = e["time"].as_str().unwrap();
        t.push(format!("{} {}", &time[5..10], &time[11..23]));
    }
    for vm in v["vms"].as_array().unwrap() {
        t.push(vm["vm"].as_str().unwrap().to_owned());
        t.push(vm["host"].as_str().unwrap().to_owned());
    }
    t
}

fn assert_fits(out: &str, width: usize) {
    for line in out.lines() {
        assert!(
            line.width() <= width,
            "line wider than {width} ({}):\n{line}\n\n{out}",
            line.width()
        );
    }
}

fn assert_whole(out: &str, tokens: &[String]) {
    for t in tokens {
        assert!(
            out.lines().any(|l| l.contains(t.as_str())),
            "{t:?} is not whole on any line:\n{out}"
        );
    }
}

#[test]
fn table_fits_80_120_and_200_columns() {
    let mut args = vec![];
    args.extend_from_slice(&BUNDLES);
    let (v, _) = json(&args);
    let tokens = whole_tokens(&v);
    for width in [80, 120, 200] {
        let out = table(width, &[]);
        assert_fits(&out, width);
        assert_whole(&out, &tokens);
        assert!(
            out.starts_with("Stun report — 11 stuns in 3 VMs on 2 hosts · QoS 8 s · times UTC"),
            "{out}"
        );
        for section in [
            "\nVMs\n",
            "\nHosts\n",
            "\nClusters",
            "\nBackup windows",
            "\nTop 11 stuns",
        ] {
            assert!(out.contains(section), "{section:?} at {width}:\n{out}");
        }
        assert!(out.contains("Verdict: FAILOVER: 1 stun"), "{out}");
        insta::assert_snapshot!(format!("table_{width}"), out);
    }
}

/// All fixture bundles at once (three hosts, an input error): still fits.
#[test]
fn table_of_every_bundle_fits_80_columns() {
    let mut args = vec![];
    for e in std::fs::read_dir(fixture("bundles")).unwrap() {
        args.push(path_str(&e.unwrap().path()).to_owned());
    }
    args.sort();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (v, _) = json(&args);
    let mut c = cmd();
    c.env("COLUMNS", "80")
        .env_remove("TERM")
        .args(["--format", "table"])
        .args(&args);
    let out = String::from_utf8(c.output().unwrap().stdout).unwrap();
    assert_fits(&out, 80);
    let mut tokens = whole_tokens(&v);
    // Whichever time form the report picks, the clock part is in it.
    for t in tokens.iter_mut().filter(|t| t.contains(':')) {
        *t = t[6..].to_owned();
    }
    assert_whole(&out, &tokens);
    assert!(out.contains("on 3 hosts"), "{out}");
    assert!(out.contains("1 input error: see standard error."), "{out}");
}

#[test]
fn table_without_a_known_width_has_no_limit() {
    let out = run_env(
        &[
            "--format", "table", "--color", "never", BUNDLES[0], BUNDLES[1],
        ],
        &[],
    );
    // Every column, the raw microseconds and the file:line included.
    assert!(out.contains("p99") && out.contains("file:line") && out.contains("4200000"));
    let zero = run_env(
        &[
            "--format", "table", "--color", "never", BUNDLES[0], BUNDLES[1],
        ],
        &[("COLUMNS", "0")],
    );
    assert_eq!(out, zero, "a width of 0 is an unknown width");
}

#[test]
fn long_names_are_shortened_and_listed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read(fixture("seed/vmware.log")).unwrap();
    let long = "IRISDB-PRODUCTION-MIRROR-MEMBER-01";
    let text = String::from_utf8(seed).unwrap().replace(
        "displayName = \"db1\"",
        &format!("displayName = \"{long}\""),
    );
    std::fs::create_dir(dir.path().join("vm")).unwrap();
    write(&dir.path().join("vm"), "vmware.log", text.as_bytes());
    for width in [50, 60, 80] {
        let out = run_env(
            &["--format", "table", path_str(dir.path())],
            &[("COLUMNS", &width.to_string())],
        );
        assert_fits(&out, width);
        assert!(out.contains('…'), "{out}");
        assert!(out.contains("Shortened above:"), "{out}");
        assert!(out.lines().any(|l| l.ends_with(long)), "{out}");
        for t in ["1.091 s", "341.6 ms", "21:30:19.662", "22:16:30.921"] {
            assert!(out.contains(t), "{t} at {width}:\n{out}");
        }
    }
    // Too narrow for any table: one block of lines per row.
    let out = run_env(
        &["--format", "table", path_str(dir.path())],
        &[("COLUMNS", "30")],
    );
    assert!(out.contains(&format!("  vm        {long}")), "{out}");
}

#[test]
fn colour_follows_term_and_color() {
    let args = ["--format", "table", "--color", "always", BUNDLES[0]];
    let out = run_env(&args, &[("TERM", "dumb")]);
    assert!(
        out.contains("\x1b[1;33mVerdict: RISK\x1b[0m"),
        "--color always wins over TERM=dumb, the verdict line coloured too:\n{out}"
    );
    assert!(out.contains("\x1b[33mrisk\x1b[0m"), "{out}");
    let out = run_env(&args, &[("NO_COLOR", "1")]);
    assert!(out.contains('\x1b'));
    let out = run_env(&["--format", "table", BUNDLES[0]], &[("TERM", "xterm")]);
    assert!(!out.contains('\x1b'), "no colour off a terminal");
    // Colour does not change the layout.
    let plain = table(80, &[]);
    let mut coloured = run_env(
        &[
            "--format", "table", "--color", "always", BUNDLES[0], BUNDLES[1],
        ],
        &[("COLUMNS", "80")],
    );
    for code in ["\x1b[1;31m", "\x1b[1;33m", "\x1b[1;32m", "\x1b[1m"] {
        coloured = coloured.replace(code, "");
    }
    for code in ["\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[0m"] {
        coloured = coloured.replace(code, "");
    }
    assert_eq!(coloured, plain);
}

#[test]
fn shorter_times_when_all_share_a_day_and_zone_in_the_title() {
    let out = run_env(
        &["--format", "table", "fixtures/seed/vmware.log"],
        &[("COLUMNS", "120")],
    );
    assert!(out.contains("times UTC, all on 2017-01-04"), "{out}");
    assert!(out.contains(" 21:30:19.662 "), "{out}");
    let out = run_env(
        &[
            "--format",
            "table",
            "--tz",
            "America/New_York",
            "fixtures/seed/vmware.log",
        ],
        &[("COLUMNS", "120")],
    );
    assert!(
        out.contains("times America/New_York (UTC-05:00), all on 2017-01-04"),
        "{out}"
    );
    assert!(out.contains(" 16:30:19.662 "), "{out}");
}

#[test]
fn database_sections_in_every_human_format() {
    let with = |format: &str, width: &str| {
        let mut args = vec!["--format", format];
        args.extend_from_slice(&DB_ARGS);
        args.push(BUNDLES[0]);
        run_env(&args, &[("COLUMNS", width)])
    };
    for width in [80, 120] {
        let out = with("table", &width.to_string());
        assert_fits(&out, width);
        for want in [
            "Database events (3 logs)",
            "no stun explains it",
            "4.549 s",
            "Freeze windows",
            "#3 db1-prod",
            "The mirror failed over: db2 took over",
        ] {
            assert!(out.contains(want), "{want} at {width}:\n{out}");
        }
    }
    let out = with("markdown", "80");
    assert!(out.contains("## Database events (3 logs)"), "{out}");
    assert!(
        out.contains("| takeover | db1-prod | 4.200 s | risk | 4.549 s |"),
        "{out}"
    );
    let out = with("html", "80");
    assert_balanced(&out);
    // Takeovers and mirror events on the timelines of the VMs they concern,
    // and db1's freeze windows on db1-prod's.
    assert!(out.contains("data-db-kind=\"takeover\" data-explained=\"yes\""));
    assert!(out.contains("data-db-kind=\"takeover\" data-explained=\"no\""));
    assert_eq!(out.matches("<rect class=\"freeze\"").count(), 2);
    assert!(out.contains(">db2 took over</text>"));
    assert!(out.contains("<section id=\"database\">"));
}

#[test]
fn markdown_is_the_same_report_as_pipe_tables() {
    let mut args = vec!["--format", "markdown"];
    args.extend_from_slice(&BUNDLES);
    let (out, _, code) = run(&args);
    assert_eq!(code, 0);
    assert!(out.starts_with("# Stun report — 11 stuns in 3 VMs on 2 hosts"));
    assert!(out.contains("**Verdict: FAILOVER:** 1 stun"));
    let mut jargs = vec![];
    jargs.extend_from_slice(&BUNDLES);
    let (v, _) = json(&jargs);
    assert_whole(&out, &whole_tokens(&v));
    // Every row of a table has as many cells as its header.
    let mut cols = 0;
    for line in out.lines().filter(|l| l.starts_with('|')) {
        let cells = line.replace("\\|", "").matches('|').count();
        if line.starts_with("|:") || line.starts_with("|-") {
            assert_eq!(cells, cols, "{line}");
        } else if cols == 0 || cells != cols {
            cols = cells;
        }
    }
    insta::assert_snapshot!("markdown", out);
}

#[test]
fn markdown_escapes_pipes_in_names() {
    let dir = tempfile::tempdir().unwrap();
    let seed = String::from_utf8(std::fs::read(fixture("seed/vmware.log")).unwrap()).unwrap();
    let text = seed.replace("displayName = \"db1\"", "displayName = \"db|1 *x*\"");
    std::fs::create_dir(dir.path().join("vm")).unwrap();
    write(&dir.path().join("vm"), "vmware.log", text.as_bytes());
    let (out, _, _) = run(&["--format", "markdown", path_str(dir.path())]);
    assert!(out.contains("| db\\|1 \\*x\\* |"), "{out}");
}

/// Tags opened and closed in order (void elements aside): enough to know
/// that the document is well-formed, as a browser would build it.
fn assert_balanced(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];
    let mut stack: Vec<String> = vec![];
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("tag ends");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" && !tag.starts_with('/') {
            let close = rest.find("</style>").expect("style ends");
            rest = &rest[close..];
        }
        if tag.starts_with('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "unbalanced");
        } else {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn html_is_one_self_contained_page() {
    let mut args = vec!["--format", "html"];
    args.extend_from_slice(&BUNDLES);
    let (out, _, code) = run(&args);
    assert_eq!(code, 0);
    assert!(out.starts_with("<!DOCTYPE html>"));
    assert_balanced(&out);
    assert_eq!(
        out.matches("data-stun-us=").count(),
        11,
        "one mark per stun"
    );
    for want in [
        "data-stun-us=\"8000000\"",
        "data-stun-us=\"4200000\"",
        "data-verdict=\"failover\"",
        "data-time=\"2025-11-19T23:00:10.331Z\"",
        "class=\"window\"",
        "svg class=\"histogram\"",
        "Verdict: FAILOVER:",
    ] {
        assert!(out.contains(want), "{want}");
    }
    // Q/2 and Q on each of the three timelines.
    assert_eq!(out.matches("data-threshold=\"q2\"").count(), 3);
    assert_eq!(out.matches("data-threshold=\"q\"").count(), 3);
    // Clusters labelled by kind.
    for kind in ["create", "consolidate ×3", "vmotion"] {
        assert!(out.contains(&format!(">{kind}</text>")), "{kind}");
    }
    // Nothing to fetch: no script, no stylesheet link, no remote URL
    // (the SVG namespace is a name, not a request).
    for banned in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!out.contains(banned), "{banned}");
    }
    let without_ns = out.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
    // The same tables as the other human formats.
    let (v, _) = json(&BUNDLES);
    assert_whole(&out, &whole_tokens(&v));
    // The snapshot leaves the stylesheet out and puts each tag on a line of
    // its own, so that a change reads as a diff.
    let styleless = match (out.find("<style>"), out.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &out[..a + 7], &out[b..]),
        _ => out.clone(),
    };
    insta::assert_snapshot!("html", styleless.replace("><", ">\n<"));
}

/// The tick labels of the first timeline's time axis.
fn axis_labels(html: &str) -> Vec<String> {
    let axis = html
        .split("<g class=\"xaxis\">")
        .nth(1)
        .expect("a time axis");
    let axis = &axis[..axis.find("</g>").expect("the axis ends")];
    axis.split("<text")
        .skip(1)
        .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].to_owned()))
        .collect()
}

/// Logs years apart (two cases' logs given at once) share one axis: its
/// ticks name the years, not one day's date for all of them.
#[test]
fn html_time_axis_over_years_names_the_years() {
    let (out, _, code) = run(&[
        "--format",
        "html",
        "fixtures/kinds/reset-esxi67",
        BUNDLES[0],
    ]);
    assert!(code <= 1, "{code}");
    let labels = axis_labels(&out);
    assert_eq!(labels, ["2021", "2022", "2023", "2024", "2025", "2026"]);
    // Within a day, the axis keeps its clock times.
    let (out, _, _) = run(&["--format", "html", "fixtures/kinds/reset-esxi67"]);
    let labels = axis_labels(&out);
    assert!(labels.contains(&"12:00".to_owned()), "{labels:?}");
}

#[test]
fn html_escapes_names_from_logs() {
    let dir = tempfile::tempdir().unwrap();
    let seed = String::from_utf8(std::fs::read(fixture("seed/vmware.log")).unwrap()).unwrap();
    let text = seed.replace(
        "displayName = \"db1\"",
        "displayName = \"<script>alert(1)</script>&\"",
    );
    std::fs::create_dir(dir.path().join("vm")).unwrap();
    write(&dir.path().join("vm"), "vmware.log", text.as_bytes());
    let (out, _, _) = run(&["--format", "html", path_str(dir.path())]);
    assert!(!out.contains("<script"), "{out}");
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
    assert_balanced(&out);
}

#[test]
fn tz_in_every_format() {
    let args = |f: &'static str| ["--tz", "America/New_York", "--format", f, BUNDLES[1]];
    let (out, _, _) = run(&args("tsv"));
    assert!(out.contains("\t2025-11-19T18:00:10.331-05:00\t"), "{out}");
    let (out, _, _) = run(&args("csv"));
    assert!(out.contains(",2025-11-19T18:00:10.331-05:00,"), "{out}");
    let (out, _, _) = run(&args("ndjson"));
    assert!(
        out.contains("\"time\":\"2025-11-19T18:00:10.331-05:00\""),
        "{out}"
    );
    let (out, _, _) = run(&args("json"));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["events"][0]["time"], "2025-11-19T18:00:10.331-05:00");
    assert_eq!(v["clusters"][0]["start"], "2025-11-19T18:00:10.331-05:00");
    assert_eq!(v["windows"][0]["created"], "2025-11-19T18:00:10.331-05:00");
    let (out, _, _) = run(&args("raw"));
    assert!(out.starts_with("8000000 ---"), "raw has the log's own line");
    let (out, _, _) = run(&args("markdown"));
    assert!(
        out.contains("times America/New\\_York (UTC-05:00)"),
        "{out}"
    );
    assert!(out.contains("| 18:00:10.331 |"), "{out}");
    let (out, _, _) = run(&args("html"));
    assert!(out.contains("data-time=\"2025-11-19T18:00:10.331-05:00\""));
    // Daylight saving: the same zone in July is four hours behind.
    let dir = tempfile::tempdir().unwrap();
    let line =
        "2025-07-01T12:00:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1000 us\n";
    let p = write(dir.path(), "vmware.log", line.as_bytes());
    let (out, _, _) = run(&["--tz", "America/New_York", &p]);
    assert!(out.contains("2025-07-01T08:00:00.000-04:00"), "{out}");
    for (tz, want) in [
        ("+02:00", "2025-11-20T01:00:10.331+02:00"),
        ("UTC", "2025-11-19T23:00:10.331Z"),
    ] {
        let (out, _, _) = run(&["--tz", tz, BUNDLES[1]]);
        assert!(out.contains(want), "{tz}: {out}");
    }
    let (_, _, code) = run(&["--tz", "local", BUNDLES[1]]);
    assert_eq!(code, 0);
}

#[test]
fn unknown_zone_is_a_usage_error() {
    let (out, err, code) = run(&["--tz", "Nowhere/Atlantis", BUNDLES[1]]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("unknown time zone"), "{err}");
    assert!(err.contains("America/New_York"), "says what works: {err}");
}

#[test]
fn generate_completions_and_man_page() {
    for (what, want) in [
        ("complete-bash", "_stunscan()"),
        ("complete-zsh", "#compdef stunscan"),
        ("complete-fish", "complete -c stunscan"),
        ("complete-powershell", "Register-ArgumentCompleter"),
        ("man", ".TH stunscan"),
    ] {
        let (out, _, code) = run(&["--generate", what]);
        assert_eq!(code, 0, "{what}");
        assert!(out.contains(want), "{what}: {out}");
        assert!(out.contains("tz"), "{what} knows the options");
    }
    let (_, err, code) = run(&["--generate", "complete-tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("complete-bash"), "{err}");
}

/// The table in a real terminal (tmux, 80 × 50): the width comes from the
/// terminal itself, with COLUMNS unset. Skips when tmux is missing.
#[test]
fn table_in_a_real_terminal() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("stunscan");
    let socket = format!("stunscan-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("COLUMNS")
            .output()
            .expect("tmux runs")
    };
    let command = format!(
        "cd {} && unset COLUMNS && {} {} {}; sleep 30",
        root().display(),
        bin.display(),
        BUNDLES[0],
        BUNDLES[1]
    );
    tmux(&[
        "new-session",
        "-d",
        "-x",
        "80",
        "-y",
        "200",
        "sh",
        "-c",
        &command,
    ]);
    let mut screen = String::new();
    for _ in 0..100 {
        let out = tmux(&["capture-pane", "-p", "-S", "0", "-E", "199"]);
        screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.contains("Verdict") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tmux(&["kill-server"]);
    assert!(screen.contains("Verdict: FAILOVER"), "{screen}");
    assert!(screen.starts_with("Stun report"), "{screen}");
    // The screen holds the whole report, each time and duration whole on
    // one line, and the table laid out for 80 columns as with COLUMNS=80.
    let expected = table(80, &[]);
    for line in expected.lines() {
        assert!(
            screen.lines().any(|l| l.trim_end() == line),
            "{line:?} missing on the terminal:\n{screen}"
        );
    }
}
