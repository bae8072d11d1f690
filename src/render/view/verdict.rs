//! The closing verdict line.

use super::db::{db_only_verdict, verdict_sentence};
use super::model::{VerdictLine, plural};
use crate::analyze::Report;
use crate::qos::{QOS_WARN_S, Verdict};
use crate::units::{human_us, secs};

/// The closing sentence: the worst verdict, the longest stun and the QoS to
/// set.
pub fn verdict_line(r: &Report) -> VerdictLine {
    if r.db_only() {
        return db_only_verdict(&r.db);
    }
    let s = &r.summary;
    let Some(rec) = s.recommended_qos_s else {
        let logs: u64 = r.inputs.iter().map(|i| i.logs).sum();
        return VerdictLine {
            level: None,
            head: "Verdict".to_owned(),
            text: format!("no stun events in {logs} log{}.", plural(logs))
                + &verdict_sentence(&r.db).unwrap_or_default(),
        };
    };
    let q = secs(r.qos.us);
    let (level, head, mut text) = if s.failover > 0 {
        (
            Verdict::Failover,
            "Verdict: FAILOVER",
            format!(
                "{} stun{} at or above the QoS ({q}), enough to fail over any mirror; longest {}.",
                s.failover,
                plural(s.failover),
                human_us(s.max_us)
            ),
        )
    } else if s.risk > 0 {
        (
            Verdict::Risk,
            "Verdict: RISK",
            format!(
                "{} stun{} at or above Q/2 ({}), enough to fail over an idle mirror; longest {}.",
                s.risk,
                plural(s.risk),
                secs(r.qos.us / 2),
                human_us(s.max_us)
            ),
        )
    } else {
        (
            Verdict::Ok,
            "Verdict: OK",
            format!(
                "longest stun {} is under Q/2 ({}).",
                human_us(s.max_us),
                secs(r.qos.us / 2)
            ),
        )
    };
    // The formula gives the QoS these stuns need, which can be less than
    // the one set: a DBA must not read it as advice to lower Q.
    if u128::from(rec) * 1_000_000 < u128::from(r.qos.us) {
        text.push_str(&format!(
            " Recommended QoS: {rec} s; the current {q} is already above it, so leave it."
        ));
    } else {
        text.push_str(&format!(" Recommended QoS: {rec} s."));
    }
    text.extend(verdict_sentence(&r.db));
    if rec > QOS_WARN_S {
        text.push_str(&format!(
            " That is over {QOS_WARN_S} s, which causes problems of its own: fix the stun's cause (storage latency, snapshot age, backup timing) instead."
        ));
    }
    VerdictLine {
        level: Some(level),
        head: head.to_owned(),
        text,
    }
}
