//! End-to-end tests: the real binary on the shipped fixtures, asserting the
//! values, times, identities, kinds, columns and exit codes that
//! fixtures/EXPECTED.md lists.

mod common;

use common::*;
use serde_json::Value;

const SEED_TIMES: [(u64, &str); 7] = [
    (1091706, "2017-01-04T21:30:19.662Z"),
    (38123, "2017-01-04T22:15:58.846Z"),
    (298346, "2017-01-04T22:15:59.573Z"),
    (301099, "2017-01-04T22:16:03.672Z"),
    (341616, "2017-01-04T22:16:06.471Z"),
    (264392, "2017-01-04T22:16:24.813Z"),
    (221633, "2017-01-04T22:16:30.921Z"),
];

fn assert_seed_events(v: &Value) {
    let ev = events(v);
    assert_eq!(ev.len(), 7);
    for (i, (us, t)) in SEED_TIMES.iter().enumerate() {
        assert_eq!(ev[i].0, *us);
        assert_eq!(ev[i].1, *t);
    }
    assert_eq!(ev[0].2, "create");
    assert_eq!(ev[0].3, 1);
    assert!(ev[1..].iter().all(|e| e.2 == "consolidate" && e.3 == 2));
}

#[test]
fn seed_log_with_markers() {
    let (v, code) = json(&["fixtures/seed/vmware.log"]);
    assert_eq!(code, 0);
    assert_seed_events(&v);
    let c = &v["clusters"];
    assert_eq!(c.as_array().unwrap().len(), 2);
    assert_eq!(c[0]["kind"], "create");
    assert_eq!(c[0]["kind_source"], "marker");
    assert_eq!(c[0]["snapshot"], "nightly");
    assert_eq!(c[0]["quiesced"], true);
    assert_eq!(c[1]["kind"], "consolidate");
    assert_eq!(c[1]["kind_source"], "marker");
    assert_eq!(c[1]["events"], 6);
    assert_eq!(c[1]["max_us"], 341616);
    assert_eq!(c[1]["total_us"], 1465209);
    assert_eq!(c[1]["start"], "2017-01-04T22:15:58.846Z");
    assert_eq!(c[1]["end"], "2017-01-04T22:16:30.921Z");
    let vm = &v["vms"][0];
    assert_eq!(vm["vm"], "db1");
    assert_eq!(vm["host"], "esx01.example.com");
    assert_eq!(vm["events"], 7);
    assert_eq!(vm["max_us"], 1091706);
    assert_eq!(vm["total_us"], 2556915);
    assert_eq!(vm["recommended_qos_s"], 3);
    let w = &v["windows"][0];
    assert_eq!(w["snapshot"], "nightly");
    assert_eq!(w["create_cluster"], 1);
    assert_eq!(w["consolidate_cluster"], 2);
    assert_eq!(w["lifetime_s"].as_f64().unwrap(), 2739.184);
    assert_eq!(v["summary"]["recommended_qos_s"], 3);
    assert_eq!(v["events"][0]["line"], 24);
    assert_eq!(v["events"][0]["source"], "fixtures/seed/vmware.log");
}

#[test]
fn seed_grep_output_gets_heuristic_kinds() {
    let (v, code) = json(&["fixtures/seed/stuns-grep.txt"]);
    assert_eq!(code, 0);
    assert_seed_events(&v);
    for c in v["clusters"].as_array().unwrap() {
        assert_eq!(c["kind_source"], "heuristic");
        assert_eq!(c["snapshot"], Value::Null);
    }
    assert_eq!(v["vms"][0]["vm"], "seed");
    assert_eq!(v["vms"][0]["host"], "-");
    assert_eq!(v["events"][0]["source"], "vmware-1.log");
    assert_eq!(v["events"][1]["source"], "vmware.log");
    assert_eq!(v["windows"].as_array().unwrap().len(), 1);
}

#[test]
fn verdicts_follow_the_half_qos_rule() {
    let verdict_of_first = |qos: &str| {
        let (v, _) = json(&["--qos", qos, "fixtures/seed/vmware.log"]);
        (
            v["events"][0]["verdict"].as_str().unwrap().to_owned(),
            v["qos_ms"].clone(),
        )
    };
    assert_eq!(verdict_of_first("8").0, "ok");
    assert_eq!(verdict_of_first("2s").0, "risk");
    assert_eq!(verdict_of_first("2183412us").0, "risk");
    assert_eq!(verdict_of_first("2183413us").0, "ok");
    assert_eq!(verdict_of_first("1s").0, "failover");
    assert_eq!(verdict_of_first("1091706us").0, "failover");
    assert_eq!(verdict_of_first("1091707us").0, "risk");
    for (q, ms) in [
        ("8", 8000),
        ("8s", 8000),
        ("8000ms", 8000),
        ("1.5s", 1500),
        ("2m", 120000),
    ] {
        assert_eq!(verdict_of_first(q).1, ms, "{q}");
    }
    let (_, _, code) = run(&["--qos", "soon", "fixtures/seed/vmware.log"]);
    assert_eq!(code, 2);
}

#[test]
fn every_header_family() {
    // (dir, vm, host, [(us, utc time, verdict)])
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [(u64, &'a str, &'a str)]);
    let cases: [Case; 6] = [
        (
            "esxi8",
            "web8",
            "esx08.example.com",
            &[
                (188405, "2023-12-05T17:42:40.741Z", "ok"),
                (700000, "2023-12-05T18:05:14.377Z", "ok"),
            ],
        ),
        (
            "workstation17",
            "Windows 11 x64",
            "LAPTOP-25NBHP7S",
            &[
                (52340, "2024-01-29T16:10:03.517Z", "ok"),
                (31877, "2024-01-29T16:45:31.640Z", "ok"),
            ],
        ),
        (
            "esxi6",
            "app6",
            "esx06.example.com",
            &[
                (188405, "2015-10-27T22:01:42.149Z", "ok"),
                (95110, "2015-10-27T22:02:12.301Z", "ok"),
                (143772, "2015-10-27T22:02:15.977Z", "ok"),
            ],
        ),
        (
            "esxi50",
            "legacy50",
            "esx50.example.com",
            &[
                (3658889, "2012-03-23T16:22:51.876Z", "ok"),
                (9100000, "2012-03-23T16:40:19.441Z", "failover"),
            ],
        ),
        (
            "offset",
            "tz-vm",
            "DESKTOP-TZ01",
            &[
                (412000, "2020-05-22T03:04:24.263Z", "ok"),
                (523000, "2020-05-22T03:10:01.007Z", "ok"),
            ],
        ),
        (
            "crlf",
            "crlf-vm",
            "WIN-CRLF01",
            &[
                (64210, "2024-03-13T01:02:17.588Z", "ok"),
                (81357, "2024-03-13T01:31:41.275Z", "ok"),
            ],
        ),
    ];
    for (dir, vm, host, want) in cases {
        let (v, code) = json(&[&format!("fixtures/formats/{dir}")]);
        assert_eq!(code, 0, "{dir}");
        assert_eq!(v["vms"][0]["vm"], vm, "{dir}");
        assert_eq!(v["vms"][0]["host"], host, "{dir}");
        let got: Vec<(u64, String, String)> =
            events(&v).into_iter().map(|e| (e.0, e.1, e.4)).collect();
        let want: Vec<(u64, String, String)> = want
            .iter()
            .map(|(u, t, vd)| (*u, t.to_string(), vd.to_string()))
            .collect();
        assert_eq!(got, want, "{dir}");
        assert!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["approx_time"] == false)
        );
    }
}

#[test]
fn kinds_from_markers_in_every_family() {
    let (v, _) = json(&["fixtures/formats/esxi8"]);
    let c = v["clusters"].as_array().unwrap();
    assert_eq!(
        (
            c[0]["kind"].as_str(),
            c[0]["snapshot"].as_str(),
            c[0]["quiesced"].as_bool()
        ),
        (Some("create"), Some("pre-patch"), Some(false))
    );
    assert_eq!(
        (c[1]["kind"].as_str(), c[1]["kind_source"].as_str()),
        (Some("vmotion"), Some("marker"))
    );
    // A consolidate marker splits stuns only 30 s apart.
    let (v, _) = json(&["fixtures/formats/esxi6"]);
    let c = v["clusters"].as_array().unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0]["events"].as_u64(), c[1]["events"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(c[1]["kind"], "consolidate");
    assert_eq!(v["windows"][0]["snapshot"], "backup-20151027");
    // Both spellings, and a failover consolidate.
    let (v, code) = json(&["--fail-on", "failover", "fixtures/formats/esxi50"]);
    assert_eq!(code, 1);
    assert_eq!(v["clusters"][1]["kind"], "consolidate");
    assert_eq!(v["summary"]["recommended_qos_s"], 19);
    assert_eq!(v["windows"][0]["verdict"], "failover");
}

#[test]
fn old_format_takes_the_year_from_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let log = oldformat_copy(tmp.path());
    let (v, code) = json(&[path_str(&log)]);
    assert_eq!(code, 0);
    let ev = v["events"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["time"], "2009-12-31T23:59:58.100Z");
    assert_eq!(ev[1]["time"], "2010-01-01T00:00:03.250Z");
    assert!(ev.iter().all(|e| e["approx_time"] == true));
    assert_eq!(ev[0]["verdict"], "risk");
    assert_eq!(v["vms"][0]["vm"], "old-ws7");
    assert_eq!(v["vms"][0]["host"], "ws7-host");
    assert_eq!(v["clusters"].as_array().unwrap().len(), 1);
    // Two stuns no marker decides, in a log that holds other lines: not a
    // guess, but `unknown`, with the line logged before the first.
    assert_eq!(v["clusters"][0]["kind"], "unknown");
    assert_eq!(v["clusters"][0]["kind_source"], "none");
    assert_eq!(v["clusters"][0]["evidence"]["line"], 14);
    assert_eq!(
        v["clusters"][0]["evidence"]["text"],
        "Checkpointed in VMware Workstation, 7.1.4, build-385536, Windows Host"
    );
    assert_eq!(v["summary"]["recommended_qos_s"], 11);
}

#[test]
fn saved_grep_of_a_tree_names_sources_and_vms() {
    let (v, _) = json(&["fixtures/formats/grep/stuns.txt"]);
    let vms = vm_field(&v, "vm");
    assert_eq!(vms, ["sql01", "sql02"]);
    let ev = v["events"].as_array().unwrap();
    assert_eq!(ev[0]["source"], "./vmfs/volumes/ds1/sql01/vmware.log");
    assert_eq!(ev[2]["source"], "./vmfs/volumes/ds1/sql02/vmware-1.log");
    assert_eq!(ev[2]["stun_us"], 2311904);
    assert_eq!(v["summary"]["recommended_qos_s"], 5);
    // A directory walk does not open it: its name is not a log's.
    let (v, _) = json(&["fixtures/formats/grep"]);
    assert_eq!(v["summary"]["events"], 0);
}

#[test]
fn look_alikes_are_not_events_and_overflow_is_an_error() {
    let (out, err, code) = run(&["fixtures/negatives/vmware.log"]);
    assert_eq!(code, 2);
    assert_eq!(out.lines().count(), 1);
    assert!(
        out.starts_with("111111\tok\t2017-01-05T10:00:00.000Z\t"),
        "{out}"
    );
    assert!(
        err.contains("fixtures/negatives/vmware.log: line 13:"),
        "{err}"
    );
    let (v, _) = json(&["fixtures/negatives/vmware.log"]);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["source"], "fixtures/negatives/vmware.log");
}

#[test]
fn vm_support_bundle() {
    let (v, code) = json(&["fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz"]);
    assert_eq!(code, 0);
    assert_eq!(
        stun_values(&v),
        [
            129664, 236118, 308455, 389120, 402917, 517204, 612093, 1873302, 4200000
        ]
    );
    let vms = v["vms"].as_array().unwrap();
    assert_eq!(
        (vms[0]["vm"].as_str(), vms[0]["host"].as_str()),
        (Some("db1-prod"), Some("esx01"))
    );
    // db2: name from db2.vmx, host from the bundle root name.
    assert_eq!(
        (vms[1]["vm"].as_str(), vms[1]["host"].as_str()),
        (Some("db2-replica"), Some("esx01"))
    );
    assert_eq!(vms[0]["risk"], 1);
    assert_eq!(vms[0]["recommended_qos_s"], 9);
    let first = &v["events"][0];
    assert_eq!(first["stun_us"], 4200000);
    assert_eq!(
        first["source"],
        "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz!esx-esx01-2026-11-20--10.30-123456/vmfs/volumes/datastore1/db1/vmware-2.log.gz"
    );
    assert_eq!(first["line"], 15);
    let kinds: Vec<&str> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "create",
            "consolidate",
            "create",
            "consolidate",
            "vmotion",
            "create"
        ]
    );
    let w = v["windows"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[0]["lifetime_s"].as_f64().unwrap(), 575.135);
    assert_eq!(w[0]["verdict"], "risk");
    let (_, code) = json(&[
        "--fail-on",
        "risk",
        "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz",
    ]);
    assert_eq!(code, 1);
    let (_, code) = json(&[
        "--fail-on",
        "failover",
        "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn vcenter_zip_holding_a_host_tgz() {
    let (v, code) = json(&["--fail-on", "failover", "fixtures/bundles/vc-support.zip"]);
    assert_eq!(code, 1);
    assert_eq!(stun_values(&v), [276401, 8000000]);
    assert_eq!(
        v["events"][0]["source"],
        "fixtures/bundles/vc-support.zip!esx-esx02-2026-11-20--10.31-654321.tgz!esx-esx02-2026-11-20--10.31-654321/vmfs/volumes/ds2/mail01/vmware.log"
    );
    assert_eq!(v["events"][0]["verdict"], "failover");
    assert_eq!(v["vms"][0]["host"], "esx02");
    assert_eq!(v["summary"]["recommended_qos_s"], 17);
    // Every bundle from their directory: esx01 (11 stuns with vc-support's
    // esx02) and the fragments bundle esx04 (5 stuns, 2 VMs).
    let (v, _) = json(&["fixtures/bundles"]);
    assert_eq!(v["summary"]["events"], 16);
    assert_eq!(v["summary"]["vms"], 5);
}

#[test]
fn bundle_from_standard_input() {
    let bytes = std::fs::read(fixture("bundles/esx-esx01-2026-11-20--10.30-123456.tgz")).unwrap();
    for args in [&["--format", "json", "-"][..], &["--format", "json"][..]] {
        let out = cmd()
            .args(args)
            .write_stdin(bytes.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["summary"]["events"], 9);
        assert!(
            v["events"][0]["source"]
                .as_str()
                .unwrap()
                .starts_with("<stdin>!esx-esx01")
        );
    }
}

#[test]
fn qos_from_cpf() {
    let (v, _) = json(&[
        "--cpf",
        "fixtures/cpf/iris.cpf",
        "fixtures/bundles/esx-esx01-2026-11-20--10.30-123456.tgz",
    ]);
    assert_eq!(v["qos_ms"], 4000);
    assert_eq!(v["events"][0]["verdict"], "failover");
    let (out, _, _) = run(&[
        "--format",
        "table",
        "--cpf",
        "fixtures/cpf/iris.cpf",
        "fixtures/seed/vmware.log",
    ]);
    assert!(
        out.contains("mirror REPMIR in fixtures/cpf/iris.cpf"),
        "{out}"
    );
    let (_, err, code) = run(&[
        "--cpf",
        "fixtures/cpf/iris.cpf",
        "--qos",
        "8s",
        "fixtures/seed/vmware.log",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
    let (_, err, code) = run(&[
        "--cpf",
        "fixtures/cpf/cache-nomirror.cpf",
        "fixtures/seed/vmware.log",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no mirror"), "{err}");
}

#[test]
fn tsv_columns_and_header() {
    let (out, _, _) = run(&["--header", "fixtures/seed/vmware.log"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "stun_us\tverdict\ttime\thost\tvm\tkind\tcluster\tsource\tline"
    );
    assert_eq!(lines.len(), 8);
    assert_eq!(
        lines[1],
        "1091706\tok\t2017-01-04T21:30:19.662Z\tesx01.example.com\tdb1\tcreate\t1\tfixtures/seed/vmware.log\t24"
    );
    assert!(lines.iter().all(|l| l.split('\t').count() == 9));
    // Default, piped: tsv without a header, sortable.
    let (out, _, _) = run(&["fixtures/seed/vmware.log"]);
    assert!(out.starts_with("1091706\t"));
}

#[test]
fn csv_raw_ndjson() {
    let (out, _, _) = run(&["--format", "csv", "fixtures/formats/workstation17"]);
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "stun_us,verdict,time,host,vm,kind,cluster,source,line"
    );
    assert_eq!(
        lines[1],
        "52340,ok,2024-01-29T16:10:03.517Z,LAPTOP-25NBHP7S,Windows 11 x64,create,1,fixtures/formats/workstation17/vmware.log,19"
    );
    let (out, _, _) = run(&["--format", "raw", "fixtures/seed/vmware.log"]);
    assert_eq!(
        out.lines().next().unwrap(),
        "1091706 ---fixtures/seed/vmware.log:2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us"
    );
    let (out, _, _) = run(&["--format", "ndjson", "fixtures/seed/vmware.log"]);
    let objs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 7);
    let keys: Vec<&String> = objs[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "time",
            "approx_time",
            "stun_us",
            "verdict",
            "host",
            "vm",
            "cluster",
            "kind",
            "source",
            "line"
        ]
    );
}

#[test]
fn json_document_shape() {
    let (v, _) = json(&["fixtures/seed/vmware.log"]);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "schema_version",
            "qos_ms",
            "inputs",
            "errors",
            "notes",
            "hosts",
            "vms",
            "clusters",
            "windows",
            "quiesces",
            "events",
            "db_events",
            "freezes",
            "summary"
        ]
    );
    assert_eq!(v["schema_version"], 3);
    let k = |x: &Value| x.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        k(&v["inputs"][0]),
        ["path", "logs", "bytes", "skipped_stun_lines"]
    );
    assert_eq!(
        k(&v["hosts"][0]),
        [
            "host",
            "vms",
            "events",
            "max_us",
            "risk",
            "failover",
            "recommended_qos_s"
        ]
    );
    let k = |x: &Value| x.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        k(&v["vms"][0]),
        [
            "host",
            "vm",
            "dir",
            "product",
            "events",
            "p50_us",
            "p90_us",
            "p99_us",
            "max_us",
            "total_us",
            "risk",
            "failover",
            "recommended_qos_s"
        ]
    );
    assert_eq!(
        k(&v["clusters"][0]),
        [
            "id",
            "host",
            "vm",
            "kind",
            "kind_source",
            "evidence",
            "snapshot",
            "quiesced",
            "quiesce",
            "start",
            "end",
            "events",
            "max_us",
            "total_us",
            "verdict",
            "in_freeze",
            "freeze_offset_ms"
        ]
    );
    assert_eq!(
        k(&v["windows"][0]),
        [
            "host",
            "vm",
            "snapshot",
            "create_cluster",
            "consolidate_cluster",
            "created",
            "consolidated",
            "lifetime_s",
            "max_us",
            "verdict",
            "guessed"
        ]
    );
    assert_eq!(
        k(&v["quiesces"][0]),
        [
            "host", "vm", "snapshot", "start", "end", "ms", "outcome", "cluster"
        ]
    );
    assert_eq!(
        k(&v["summary"]),
        [
            "events",
            "vms",
            "max_us",
            "risk",
            "failover",
            "recommended_qos_s",
            "skipped_stun_lines"
        ]
    );
    // Percentiles are exact nearest-rank values: stuns that happened.
    assert_eq!(v["vms"][0]["p50_us"], 298346);
    assert_eq!(v["vms"][0]["p90_us"], 1091706);
    assert_eq!(v["vms"][0]["p99_us"], 1091706);
}

#[test]
fn table_output_and_colour() {
    let (out, _, code) = run(&[
        "--format",
        "table",
        "--color",
        "never",
        "fixtures/seed/vmware.log",
    ]);
    assert_eq!(code, 0);
    for want in [
        "VMs",
        "Clusters",
        "Backup windows",
        "Top 7 stuns",
        "nightly",
        "45m 39s",
        "Verdict: OK",
        "Recommended QoS: 3 s; the current 8 s is already above it, so leave it.",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(!out.contains('\x1b'));
    let (out, _, _) = run(&[
        "--format",
        "table",
        "--color",
        "always",
        "--qos",
        "1s",
        "fixtures/seed/vmware.log",
    ]);
    assert!(out.contains("\x1b["), "{out}");
    assert!(out.contains("FAILOVER"));
    // A recommended QoS above the one set is a plain figure.
    assert!(out.contains("Recommended QoS: 3 s."), "{out}");
    assert!(!out.contains("leave it"), "{out}");
    let (out, _, _) = run(&[
        "--format",
        "table",
        "--top",
        "2",
        "fixtures/seed/vmware.log",
    ]);
    assert!(out.contains("Top 2 stuns"));
    // A recommended QoS over 30 s carries the warning.
    let (out, _, _) = run(&[
        "--format",
        "table",
        "fixtures/bundles/vc-support.zip",
        "fixtures/formats/esxi50",
    ]);
    assert!(out.contains("Recommended QoS: 19 s"), "{out}");
}

#[test]
fn selection_options() {
    let (v, _) = json(&["--min", "300ms", "fixtures/seed/vmware.log"]);
    assert_eq!(stun_values(&v), [301099, 341616, 1091706]);
    assert_eq!(v["vms"][0]["events"], 7, "statistics still use all events");
    let (v, _) = json(&["--vm", "DB2*", "fixtures/bundles"]);
    let vms = vm_field(&v, "vm");
    assert_eq!(vms, ["db2-replica"]);
    let (v, _) = json(&["--since", "2020-05-22T03:05:00Z", "fixtures/formats/offset"]);
    assert_eq!(stun_values(&v), [523000]);
    let (v, _) = json(&["--until", "2020-05-22T03:05:00Z", "fixtures/formats/offset"]);
    assert_eq!(stun_values(&v), [412000]);
    let (v, _) = json(&["--gap", "3s", "fixtures/seed/vmware.log"]);
    assert_eq!(v["clusters"].as_array().unwrap().len(), 5);
    let (v, _) = json(&["-j", "1", "-q", "fixtures/bundles"]);
    assert_eq!(v["summary"]["events"], 16);
    let (_, _, code) = run(&["--fail-on", "risk", "fixtures/seed/vmware.log"]);
    assert_eq!(code, 0);
    let (_, _, code) = run(&[
        "--qos",
        "2s",
        "--fail-on",
        "risk",
        "fixtures/seed/vmware.log",
    ]);
    assert_eq!(code, 1);
    let (_, _, code) = run(&[
        "--qos",
        "2s",
        "--fail-on",
        "failover",
        "fixtures/seed/vmware.log",
    ]);
    assert_eq!(code, 0);
}

/// Real lines whose key is `displayname` (fixtures/names/README.md): the
/// VM is named by them, not by its folder.
#[test]
fn a_lower_case_displayname_key_names_the_vm() {
    let (v, code) = json(&["fixtures/names"]);
    assert_eq!(code, 0);
    let mut vms: Vec<(&str, &str)> = v["vms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["vm"].as_str().unwrap(), m["host"].as_str().unwrap()))
        .collect();
    vms.sort();
    assert_eq!(
        vms,
        [
            ("BLACK-FLAG", "SAWANBHAN"),
            ("Project-IT", "DESKTOP-J38BGEJ")
        ]
    );
}

#[test]
fn a_directory_walk_scans_only_log_members() {
    let (v, _) = json(&["fixtures/formats"]);
    // bom-junk/ and split-header/ hold the same VM's one stun: one VM,
    // counted once.
    assert_eq!(v["summary"]["vms"], 9);
    assert_eq!(v["summary"]["events"], 16);
    let (v, _) = json(&["fixtures/seed"]);
    assert_eq!(v["summary"]["events"], 7);
}

#[test]
fn control_characters_never_reach_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("evil\tdir");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("vmware.log"),
        b"2017-01-04T21:00:00.000Z| vmx| I125: DICT               displayName = \"db\x1b[31m\ttab\x07\"\n\
2017-01-04T21:00:00.000Z| vmx| I125: Hostname=h\x9bost\n\
2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 5 us\n",
    )
    .unwrap();
    let p = dir.join("vmware.log");
    for fmt in ["tsv", "csv", "raw", "json", "ndjson", "table"] {
        let (out, _, code) = run(&["--format", fmt, "--color", "never", path_str(&p)]);
        assert_eq!(code, 0);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07') && !out.contains("\u{9b}"),
            "{fmt}: {out:?}"
        );
        if fmt == "json" || fmt == "ndjson" {
            assert!(out.contains(r#"db\\e[31m\\ttab\\u{0007}"#), "{fmt}: {out}");
        } else if fmt == "raw" {
            assert!(out.contains("evil\\tdir/vmware.log:"), "{fmt}: {out}");
        } else {
            assert!(out.contains("db\\e[31m\\ttab\\u{0007}"), "{fmt}: {out}");
        }
        if fmt == "tsv" {
            assert_eq!(out.lines().count(), 1);
            assert_eq!(out.trim_end().split('\t').count(), 9, "{out:?}");
        }
    }
    let (out, _, _) = run(&[path_str(&p)]);
    assert!(
        out.contains("\th\\xC2\\x9Bost\t")
            || out.contains("\th\\u{009B}ost\t")
            || out.contains("\th\\x9Bost\t"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--format", "xml", "x"][..],
        &["--gap", "soon", "x"],
        &["--since", "yesterday", "x"],
        &["--vm", "[", "x"],
    ] {
        let (_, _, code) = run(args);
        assert_eq!(code, 2, "{args:?}");
    }
    let (_, err, code) = run(&["/nonexistent/vmware.log", "fixtures/seed/vmware.log"]);
    assert_eq!(
        code, 2,
        "a missing input is an error, but the rest is still read"
    );
    assert!(
        err.contains("/nonexistent/vmware.log: cannot read"),
        "{err}"
    );
}

#[test]
fn a_recommended_qos_over_30_s_says_fix_the_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("vmware.log");
    std::fs::write(
        &log,
        b"2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 16000000 us\n",
    )
    .unwrap();
    let (out, _, code) = run(&["--format", "table", "--color", "never", path_str(&log)]);
    assert_eq!(code, 0);
    assert!(out.contains("Recommended QoS: 33 s"), "{out}");
    assert!(out.contains("over 30 s"), "{out}");
    assert!(out.contains("Verdict: FAILOVER"), "{out}");
    let (v, code) = json(&["--fail-on", "failover", path_str(&log)]);
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["recommended_qos_s"], 33);
}

/// Runs the binary under `script`, so that its standard streams are a
/// terminal. None when `script` (util-linux) is not installed.
fn on_a_terminal(args: &str, no_color: bool) -> Option<(String, i32)> {
    let bin = assert_cmd::cargo::cargo_bin("stunscan");
    let mut c = std::process::Command::new("script");
    c.current_dir(root())
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"]);
    c.env_remove("NO_COLOR").stdin(std::process::Stdio::null());
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let out = c.output().ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code()?,
    ))
}

#[test]
fn on_a_terminal_the_default_is_a_coloured_table() {
    let Some((out, code)) = on_a_terminal("--qos 1s fixtures/seed/vmware.log", false) else {
        eprintln!("script(1) not available: skipped");
        return;
    };
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Clusters") && out.contains("Verdict: FAILOVER"),
        "{out}"
    );
    assert!(
        out.contains("\x1b["),
        "colour expected on a terminal: {out}"
    );
    let (out, _) = on_a_terminal("--qos 1s fixtures/seed/vmware.log", true).unwrap();
    assert!(out.contains("Verdict: FAILOVER"), "{out}");
    assert!(
        !out.contains("\x1b[1;31m"),
        "NO_COLOR turns colour off: {out}"
    );
    // No PATH and a terminal on standard input: usage, exit 2.
    let (out, code) = on_a_terminal("", false).unwrap();
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Usage: stunscan"), "{out}");
}

#[test]
fn a_progress_bar_for_big_inputs_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("vmware.log");
    // A log line, then sparse to 101 MiB: over the 100 MiB threshold,
    // quick to read.
    std::fs::write(&log, STUN).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(101 << 20)
        .unwrap();
    let args = format!("--format tsv {} > /dev/null", log.display());
    let Some((out, code)) = on_a_terminal(&args, false) else {
        eprintln!("script(1) not available: skipped");
        return;
    };
    assert_eq!(code, 0);
    assert!(
        out.contains("MiB"),
        "progress expected on a terminal: {out:?}"
    );
    let (out, _) = on_a_terminal(&format!("-q {args}"), false).unwrap();
    assert!(!out.contains("MiB"), "-q silences it: {out:?}");
    // Not a terminal: no progress.
    let (_, err, _) = run(&["--format", "tsv", path_str(&log)]);
    assert!(!err.contains("MiB"), "{err}");
}
