use std::path::PathBuf;

use super::*;
use crate::dblog::{DbKind, ReadOptions, read_path};
use crate::time::parse_iso;
use crate::zone::Zone;
use crate::zone::format_rfc3339_ms as rfc;

const Q8: u64 = 8_000_000;

fn ms(iso: &str) -> EpochMs {
    parse_iso(iso.as_bytes()).expect("iso time").0
}

fn stun(vm: &str, dir: &str, time: &str, stun_us: u64) -> StunRef {
    StunRef {
        host: "esx01".into(),
        vm: vm.into(),
        dir_name: dir.into(),
        time_ms: ms(time),
        stun_us,
        verdict: crate::qos::verdict(stun_us, Q8),
    }
}

fn event(kind: DbKind, member: &str, time: &str) -> DbEvent {
    DbEvent {
        time_ms: ms(time),
        kind,
        member: member.into(),
        text: String::new(),
        source: "messages.log".into(),
        line: 1,
        instance: None,
        restarted: false,
    }
}

/// A 4.2 s (risk at 8 s) stun on db1 whose pause began at 22:00:03.682.
fn risky() -> StunRef {
    stun("db1-prod", "db1", "2025-11-18T22:00:07.882Z", 4_200_000)
}

#[test]
fn takeover_is_explained_with_its_lag() {
    let e = event(DbKind::Takeover, "db2", "2025-11-18T22:00:08.231Z");
    assert_eq!(
        explain(&e, &[risky()], Q8),
        Some(Explained {
            stun: 0,
            lag_ms: 4549
        })
    );
}

#[test]
fn lookback_edge_is_inclusive() {
    // Pause start 22:00:03.682; 2 × 8 s + 60 s = 76 s later is the last
    // instant it explains.
    let at = event(DbKind::Mirror, "db2", "2025-11-18T22:01:19.682Z");
    assert_eq!(explain(&at, &[risky()], Q8).map(|x| x.lag_ms), Some(76_000));
    let past = event(DbKind::Mirror, "db2", "2025-11-18T22:01:19.683Z");
    assert_eq!(explain(&past, &[risky()], Q8), None);
}

#[test]
fn a_stun_still_running_at_the_event_counts_but_not_one_after() {
    let during = event(DbKind::Mirror, "db2", "2025-11-18T22:00:03.682Z");
    assert_eq!(explain(&during, &[risky()], Q8).map(|x| x.lag_ms), Some(0));
    let before = event(DbKind::Mirror, "db2", "2025-11-18T22:00:03.681Z");
    assert_eq!(explain(&before, &[risky()], Q8), None);
}

#[test]
fn the_members_own_vm_is_excluded() {
    for member in ["db1", "DB1-PROD", "db1-prod"] {
        let e = event(DbKind::Takeover, member, "2025-11-18T22:00:08.231Z");
        assert_eq!(explain(&e, &[risky()], Q8), None, "{member}");
    }
}

#[test]
fn ok_stuns_are_ignored_and_the_latest_risky_wins() {
    let ok = stun("db1-prod", "db1", "2025-11-18T22:00:08.000Z", 3_000_000);
    let earlier = stun("app", "app", "2025-11-18T21:59:59.000Z", 9_000_000);
    let stuns = [earlier, risky(), ok];
    let e = event(DbKind::Takeover, "db2", "2025-11-18T22:00:08.231Z");
    assert_eq!(explain(&e, &stuns, Q8).map(|x| x.stun), Some(1));
}

#[test]
fn other_kinds_are_never_explained() {
    for k in [
        DbKind::PrimaryAtStartup,
        DbKind::Backup,
        DbKind::Connected,
        DbKind::Freeze,
    ] {
        let e = event(k, "db2", "2025-11-18T22:00:08.231Z");
        assert_eq!(explain(&e, &[risky()], Q8), None, "{k}");
    }
}

fn window(member: &str, start: &str, end: &str) -> FreezeWindow {
    FreezeWindow {
        member: member.into(),
        start_ms: ms(start),
        end_ms: Some(ms(end)),
        reach_ms: ms(end),
        sources: vec!["snapshot.log".into()],
        line: 1,
        outcome: super::super::FreezeOutcome::Thawed,
    }
}

fn create(vm: &str, dir: &str, time: &str, stun_us: u64) -> CreateRef {
    CreateRef {
        cluster_id: 7,
        vm: vm.into(),
        dir_name: dir.into(),
        first_stun_time_ms: ms(time),
        first_stun_us: stun_us,
    }
}

fn vms() -> Vec<VmRef> {
    ["db1", "db2"]
        .iter()
        .map(|d| VmRef {
            vm: format!("{d}-vm"),
            dir_name: (*d).into(),
        })
        .collect()
}

fn covering(member: &str, from: &str, to: &str) -> DbLog {
    DbLog {
        source: "messages.log".into(),
        member: member.into(),
        first_ms: Some(ms(from)),
        last_ms: Some(ms(to)),
        ..DbLog::default()
    }
}

#[test]
fn freeze_tolerance_is_one_second_either_side() {
    let w = [window(
        "db1",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:00:08.000Z",
    )];
    let check =
        |time: &str, us: u64| in_freeze(&create("db1-vm", "db1", time, us), &w, &[], &vms());
    let inside = check("2025-11-19T22:00:06.000Z", 1_000_000);
    assert_eq!(
        (inside.in_freeze, inside.freeze_offset_ms),
        (Some(true), Some(0))
    );
    // Pause 22:00:02.000–22:00:02.500: begins exactly 1 s before the freeze.
    let edge = check("2025-11-19T22:00:02.500Z", 500_000);
    assert_eq!(
        (edge.in_freeze, edge.freeze_offset_ms),
        (Some(true), Some(-1000))
    );
    // Ends exactly 1 s after the thaw.
    let edge = check("2025-11-19T22:00:09.000Z", 500_000);
    assert_eq!(
        (edge.in_freeze, edge.freeze_offset_ms),
        (Some(true), Some(1000))
    );
    // 1 ms more: outside, but no log covers it, so unknown.
    let out = check("2025-11-19T22:00:09.001Z", 500_000);
    assert_eq!(out, FreezeCheck::default());
}

#[test]
fn outside_a_window_while_a_log_covers_is_false() {
    let w = [window(
        "db1",
        "2025-11-18T21:59:56.000Z",
        "2025-11-18T22:00:02.000Z",
    )];
    let logs = [covering(
        "db1",
        "2025-11-18T13:58:11.870Z",
        "2025-11-19T22:45:12.530Z",
    )];
    let c = create("db1-vm", "db1", "2025-11-18T22:00:07.882Z", 4_200_000);
    let f = in_freeze(&c, &w, &logs, &vms());
    assert_eq!(
        (f.in_freeze, f.freeze_offset_ms, f.window),
        (Some(false), Some(5882), Some(0))
    );
    // Began before the freeze: negative.
    let c = create("db1-vm", "db1", "2025-11-18T21:59:50.000Z", 1_000_000);
    assert_eq!(
        in_freeze(&c, &w, &logs, &vms()).freeze_offset_ms,
        Some(-7000)
    );
}

#[test]
fn a_named_members_windows_apply_to_its_vm_alone() {
    let w = [window(
        "db1",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:00:08.000Z",
    )];
    let logs = [covering(
        "db1",
        "2025-11-19T00:00:00.000Z",
        "2025-11-20T00:00:00.000Z",
    )];
    let other = create("db2-vm", "db2", "2025-11-19T22:00:06.000Z", 1_000_000);
    assert_eq!(in_freeze(&other, &w, &logs, &vms()), FreezeCheck::default());
    let mine = create("db1-vm", "db1", "2025-11-19T22:00:06.000Z", 1_000_000);
    assert_eq!(in_freeze(&mine, &w, &logs, &vms()).in_freeze, Some(true));
    // Named by the displayName, in another case.
    let w = [window(
        "DB1-VM",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:00:08.000Z",
    )];
    assert_eq!(in_freeze(&mine, &w, &[], &vms()).in_freeze, Some(true));
    assert_eq!(in_freeze(&other, &w, &[], &vms()).in_freeze, None);
}

#[test]
fn an_unnamed_members_windows_apply_to_every_vm() {
    let w = [window(
        "H20152",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:00:08.000Z",
    )];
    let logs = [covering(
        "H20152",
        "2025-11-19T00:00:00.000Z",
        "2025-11-20T00:00:00.000Z",
    )];
    for (vm, dir) in [("db1-vm", "db1"), ("db2-vm", "db2")] {
        let c = create(vm, dir, "2025-11-19T22:00:06.000Z", 1_000_000);
        assert_eq!(
            in_freeze(&c, &w, &logs, &vms()).in_freeze,
            Some(true),
            "{vm}"
        );
        let c = create(vm, dir, "2025-11-19T23:00:00.000Z", 1_000_000);
        assert_eq!(
            in_freeze(&c, &w, &logs, &vms()).in_freeze,
            Some(false),
            "{vm}"
        );
    }
}

#[test]
fn an_open_window_reaches_to_its_logs_end() {
    let mut w = window(
        "db1",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:10:00.000Z",
    );
    w.end_ms = None;
    let c = create("db1-vm", "db1", "2025-11-19T22:05:00.000Z", 1_000_000);
    assert_eq!(in_freeze(&c, &[w], &[], &vms()).in_freeze, Some(true));
}

// ---- The fixtures: fixtures/db/ against the esx01 bundle (EXPECTED.md). ----

fn fixture_set(files: &[(&str, &str)], zone: &Zone) -> DbSet {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/db");
    let logs = files
        .iter()
        .flat_map(|(name, p)| {
            let opts = ReadOptions {
                zone,
                member: Some(name),
            };
            read_path(&root.join(p), p, &opts)
        })
        .collect();
    DbSet::new(logs)
}

/// The esx01 bundle's stuns (fixtures/EXPECTED.md, section 5.1).
fn bundle_stuns(qos_us: u64) -> Vec<StunRef> {
    let s = |vm: &str, dir: &str, t: &str, us: u64| StunRef {
        verdict: crate::qos::verdict(us, qos_us),
        ..stun(vm, dir, t, us)
    };
    vec![
        s("db1-prod", "db1", "2025-11-18T22:00:07.882Z", 4_200_000),
        s("db1-prod", "db1", "2025-11-18T22:09:43.017Z", 517_204),
        s("db1-prod", "db1", "2025-11-18T22:09:44.950Z", 236_118),
        s("db1-prod", "db1", "2025-11-18T22:09:52.663Z", 308_455),
        s("db1-prod", "db1", "2025-11-19T22:00:06.215Z", 1_873_302),
        s("db1-prod", "db1", "2025-11-19T22:11:22.106Z", 402_917),
        s("db1-prod", "db1", "2025-11-19T22:11:23.789Z", 129_664),
        s("db2-replica", "db2", "2025-11-19T03:12:44.561Z", 612_093),
        s("db2-replica", "db2", "2025-11-19T22:30:02.447Z", 389_120),
    ]
}

fn bundle_creates() -> Vec<CreateRef> {
    let c = |id, vm: &str, dir: &str, t: &str, us| CreateRef {
        cluster_id: id,
        ..create(vm, dir, t, us)
    };
    vec![
        c(1, "db1-prod", "db1", "2025-11-18T22:00:07.882Z", 4_200_000),
        c(3, "db1-prod", "db1", "2025-11-19T22:00:06.215Z", 1_873_302),
        c(6, "db2-replica", "db2", "2025-11-19T22:30:02.447Z", 389_120),
    ]
}

fn bundle_vms() -> Vec<VmRef> {
    vec![
        VmRef {
            vm: "db1-prod".into(),
            dir_name: "db1".into(),
        },
        VmRef {
            vm: "db2-replica".into(),
            dir_name: "db2".into(),
        },
    ]
}

const MIRROR_PAIR: [(&str, &str); 4] = [
    ("db1", "db1/messages.log"),
    ("db1", "db1/IRISPROD-pre_post.log"),
    ("db1", "db1/snapshot.log"),
    ("db2", "db2/messages.log"),
];

/// (kind, member, time, explaining stun's µs and lag).
type Row = (String, String, String, Option<(u64, i64)>);

/// A [`Row`] for each event of a kind that can be explained.
fn explained(db: &DbSet, stuns: &[StunRef], c: &Correlation) -> Vec<Row> {
    db.events
        .iter()
        .zip(&c.explained)
        .filter(|(e, _)| e.kind.is_correlated())
        .map(|(e, x)| {
            let x = x.map(|x| (stuns[x.stun].stun_us, x.lag_ms));
            (e.kind.to_string(), e.member.to_string(), rfc(e.time_ms), x)
        })
        .collect()
}

fn row(
    k: &str,
    m: &str,
    t: &str,
    x: Option<(u64, i64)>,
) -> (String, String, String, Option<(u64, i64)>) {
    (k.into(), m.into(), t.into(), x)
}

#[test]
fn fixture_mirror_pair_correlations() {
    let db = fixture_set(
        &MIRROR_PAIR,
        &Zone::parse("America/New_York").expect("zone"),
    );
    assert!(
        db.notes.is_empty() && db.errors.is_empty(),
        "{:?} {:?}",
        db.notes,
        db.errors
    );
    let stuns = bundle_stuns(Q8);
    let c = correlate(&db, &stuns, &bundle_creates(), &bundle_vms(), Q8);
    let a = Some((4_200_000, 0));
    let with_lag = |lag| a.map(|(us, _)| (us, lag));
    assert_eq!(
        explained(&db, &stuns, &c),
        vec![
            row("mirror", "db2", "2025-11-18T22:00:07.903Z", with_lag(4221)),
            row("mirror", "db1", "2025-11-18T22:00:07.951Z", None),
            row("mirror", "db2", "2025-11-18T22:00:08.105Z", with_lag(4423)),
            row(
                "takeover",
                "db2",
                "2025-11-18T22:00:08.231Z",
                with_lag(4549)
            ),
            row("mirror", "db1", "2025-11-18T22:00:08.412Z", None),
            row("mirror", "db1", "2025-11-19T03:12:41.305Z", None),
            row("mirror", "db1", "2025-11-19T03:12:49.366Z", None),
            row("takeover", "db1", "2025-11-19T03:12:49.517Z", None),
            row("mirror", "db2", "2025-11-19T03:12:50.102Z", None),
            row("mirror", "db2", "2025-11-19T03:12:50.218Z", None),
        ]
    );
    let checks: Vec<(Option<bool>, Option<i64>)> = c
        .in_freeze
        .iter()
        .map(|f| (f.in_freeze, f.freeze_offset_ms))
        .collect();
    assert_eq!(
        checks,
        vec![
            (Some(false), Some(5882)),
            (Some(true), Some(0)),
            (Some(false), None)
        ]
    );
    let windows: Vec<(String, String, Option<String>)> = db
        .windows
        .iter()
        .map(|w| (w.member.clone(), rfc(w.start_ms), w.end_ms.map(rfc)))
        .collect();
    assert_eq!(
        windows,
        vec![
            (
                "db1".into(),
                "2025-11-18T21:59:56.000Z".into(),
                Some("2025-11-18T22:00:02.000Z".into())
            ),
            (
                "db1".into(),
                "2025-11-19T22:00:03.000Z".into(),
                Some("2025-11-19T22:00:08.466Z".into())
            ),
        ]
    );
    assert_eq!(db.windows[0].sources.len(), 3);
    assert_eq!(
        c.windows[0],
        WindowReport {
            inside: vec![],
            outside: vec![1]
        }
    );
    assert_eq!(
        c.windows[1],
        WindowReport {
            inside: vec![3],
            outside: vec![]
        }
    );
}

#[test]
fn fixture_with_a_shorter_qos_the_vmotion_explains_the_second_takeover() {
    let q1 = 1_000_000;
    let db = fixture_set(
        &MIRROR_PAIR,
        &Zone::parse("America/New_York").expect("zone"),
    );
    let stuns = bundle_stuns(q1);
    let c = correlate(&db, &stuns, &bundle_creates(), &bundle_vms(), q1);
    let rows = explained(&db, &stuns, &c);
    let vmotion = |lag| Some((612_093, lag));
    assert_eq!(
        rows[5],
        row("mirror", "db1", "2025-11-19T03:12:41.305Z", None),
        "stun came after"
    );
    assert_eq!(
        rows[6],
        row("mirror", "db1", "2025-11-19T03:12:49.366Z", vmotion(5417))
    );
    assert_eq!(
        rows[7],
        row("takeover", "db1", "2025-11-19T03:12:49.517Z", vmotion(5568))
    );
    assert_eq!(rows[8].3, None, "db2's own vMotion");
}

#[test]
fn fixture_without_db_tz_nothing_lines_up() {
    let db = fixture_set(&MIRROR_PAIR, &Zone::utc());
    let stuns = bundle_stuns(Q8);
    let c = correlate(&db, &stuns, &bundle_creates(), &bundle_vms(), Q8);
    assert!(c.explained.iter().all(Option::is_none));
    let takeover = db
        .events
        .iter()
        .find(|e| e.kind == DbKind::Takeover)
        .expect("takeover");
    assert_eq!(rfc(takeover.time_ms), "2025-11-18T17:00:08.231Z");
    assert!(db.notes.iter().any(|n| n.message.contains("say EST")));
}

#[test]
fn fixture_seed_freeze_does_not_cover_the_seed_stun() {
    let ny = Zone::parse("America/New_York").expect("zone");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/db");
    let logs = ["seed/snapshot.log", "seed/H20152-pre_post.log"]
        .iter()
        .flat_map(|p| {
            read_path(
                &root.join(p),
                p,
                &ReadOptions {
                    zone: &ny,
                    member: None,
                },
            )
        })
        .collect();
    let db = DbSet::new(logs);
    assert_eq!(db.windows.len(), 1);
    let w = &db.windows[0];
    assert_eq!(w.member, "H20152");
    assert_eq!(
        (rfc(w.start_ms), w.duration_ms()),
        ("2017-01-04T21:30:36.000Z".into(), Some(6000))
    );
    let seed = CreateRef {
        cluster_id: 1,
        vm: "db1".into(),
        dir_name: "seed".into(),
        first_stun_time_ms: ms("2017-01-04T21:30:19.662Z"),
        first_stun_us: 1_091_706,
    };
    let vms = [VmRef {
        vm: "db1".into(),
        dir_name: "seed".into(),
    }];
    let f = in_freeze(&seed, &db.windows, &db.logs, &vms);
    assert_eq!(
        f.in_freeze, None,
        "the logs begin at 21:30:35Z, after the stun"
    );
}

fn quiesce(vm: &str, dir: &str, start: &str, end: &str, id: u64) -> QuiesceRef {
    QuiesceRef {
        cluster_id: Some(id),
        vm: vm.into(),
        dir_name: dir.into(),
        start_ms: ms(start),
        end_ms: Some(ms(end)),
    }
}

#[test]
fn a_freeze_sits_in_the_quiesce_it_overlaps() {
    let qs = [
        quiesce(
            "db1-prod",
            "db1",
            "2025-11-19T22:00:04.911Z",
            "2025-11-19T22:00:06.330Z",
            3,
        ),
        quiesce(
            "db1-prod",
            "db1",
            "2025-11-19T22:30:00.000Z",
            "2025-11-19T22:30:01.000Z",
            7,
        ),
    ];
    // Inside, give or take a second: no late thaw.
    let w = window(
        "db1",
        "2025-11-19T22:00:05.000Z",
        "2025-11-19T22:00:07.300Z",
    );
    let got = in_quiesce(&w, &qs, &vms()).expect("in");
    assert_eq!((got.quiesce, got.outlasted_ms), (0, None));
    // Thawed 2.136 s after the quiesce ended.
    let w = window(
        "db1",
        "2025-11-19T22:00:03.000Z",
        "2025-11-19T22:00:08.466Z",
    );
    assert_eq!(
        in_quiesce(&w, &qs, &vms()).map(|q| q.outlasted_ms),
        Some(Some(2136))
    );
    // Ends 1.5 s before the quiesce begins: in none.
    let w = window(
        "db1",
        "2025-11-19T22:00:00.000Z",
        "2025-11-19T22:00:03.411Z",
    );
    assert_eq!(in_quiesce(&w, &qs, &vms()), None);
    // Another VM's quiesce is not this member's.
    let w = window(
        "db2",
        "2025-11-19T22:00:05.000Z",
        "2025-11-19T22:00:06.000Z",
    );
    assert_eq!(in_quiesce(&w, &qs, &vms()), None);
}
