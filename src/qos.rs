//! The failover rule: QoS timeout, verdicts, recommended QoS.
//!
//! A mirror's backup member that hears nothing for Q/2 pings the primary
//! and waits another Q/2, so on an idle mirror a pause of Q/2 can already
//! cause a takeover, and a pause of Q causes one on any mirror. All
//! arithmetic is in integer microseconds, widened so that no stun value a
//! log can hold overflows it.

use std::fmt;

use anyhow::{Context, bail};
use serde::Serialize;

/// QoS default of IRIS and Caché since 2015.
pub const DEFAULT_QOS_US: u64 = 8_000_000;
/// Above this a recommended QoS is itself a problem.
pub const QOS_WARN_S: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Risk,
    Failover,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Risk => "risk",
            Verdict::Failover => "failover",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where Q came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QosSource {
    Default,
    Flag,
    /// `--cpf`: the mirror whose QoS is the smallest, and how many there were.
    Cpf {
        file: String,
        mirror: String,
        mirrors: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qos {
    pub us: u64,
    pub source: QosSource,
}

impl Qos {
    pub fn verdict(&self, stun_us: u64) -> Verdict {
        verdict(stun_us, self.us)
    }

    /// A one-line description: `8 s (default)`, `4 s (mirror REPMIR in iris.cpf)`.
    pub fn describe(&self) -> String {
        let q = crate::units::secs(self.us);
        match &self.source {
            QosSource::Default => format!("{q} (default)"),
            QosSource::Flag => format!("{q} (--qos)"),
            QosSource::Cpf {
                file,
                mirror,
                mirrors,
            } if *mirrors > 1 => {
                format!("{q} (mirror {mirror} in {file}, the smallest of {mirrors} mirrors)")
            }
            QosSource::Cpf { file, mirror, .. } => format!("{q} (mirror {mirror} in {file})"),
        }
    }
}

/// The verdict table, exactly: ok below Q/2, risk from Q/2, failover from Q.
pub fn verdict(stun_us: u64, q_us: u64) -> Verdict {
    if stun_us >= q_us {
        Verdict::Failover
    } else if 2 * u128::from(stun_us) >= u128::from(q_us) {
        Verdict::Risk
    } else {
        Verdict::Ok
    }
}

/// The smallest whole number of seconds strictly greater than twice the
/// longest stun.
pub fn recommended_qos_s(max_us: u64) -> u64 {
    let s = 2 * u128::from(max_us) / 1_000_000 + 1;
    u64::try_from(s).unwrap_or(u64::MAX)
}

/// Reads the `[Mirrors]` section of an `iris.cpf` / `cache.cpf`: each entry
/// `Name=GUID,2,1,DefinedPrimary,QOSTimeout,0,UseSSL,…`, QOSTimeout in ms.
/// Returns the smallest QoS and names its mirror.
pub fn from_cpf(text: &[u8], file: &str) -> anyhow::Result<Qos> {
    let mut in_mirrors = false;
    let mut found: Vec<(String, u64)> = Vec::new();
    for raw in text.split(|&c| c == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw).trim_ascii();
        if line.starts_with(b"[") {
            in_mirrors = line.eq_ignore_ascii_case(b"[Mirrors]");
            continue;
        }
        if !in_mirrors || line.is_empty() {
            continue;
        }
        let Some(eq) = line.iter().position(|&c| c == b'=') else {
            continue;
        };
        let name = crate::escape::escape_bytes(line[..eq].trim_ascii());
        let field = line[eq + 1..]
            .split(|&c| c == b',')
            .nth(4)
            .map(<[u8]>::trim_ascii);
        let ms = field
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|f| f.parse::<u64>().ok())
            .with_context(|| {
                format!("{file}: mirror {name}: the fifth field (QOSTimeout, ms) is not a number")
            })?;
        if let Err(why) = crate::units::check_qos_us(ms.saturating_mul(1000), &format!("{ms} ms")) {
            bail!("{file}: mirror {name}: {why}");
        }
        found.push((name, ms));
    }
    let mirrors = found.len();
    let Some((mirror, ms)) = found.into_iter().min_by_key(|(_, ms)| *ms) else {
        bail!("{file}: no mirror in its [Mirrors] section; give the QoS with --qos instead");
    };
    Ok(Qos {
        us: ms.saturating_mul(1000),
        source: QosSource::Cpf {
            file: file.to_owned(),
            mirror,
            mirrors,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_boundaries_are_exact() {
        let q = 8_000_000;
        assert_eq!(verdict(3_999_999, q), Verdict::Ok);
        assert_eq!(verdict(4_000_000, q), Verdict::Risk);
        assert_eq!(verdict(7_999_999, q), Verdict::Risk);
        assert_eq!(verdict(8_000_000, q), Verdict::Failover);
        assert_eq!(verdict(u64::MAX, q), Verdict::Failover);
        // Odd Q: 2 × 1 ≥ 1 → risk only at stun 1 with Q 2… and Q 3.
        assert_eq!(verdict(1, 3), Verdict::Ok);
        assert_eq!(verdict(2, 3), Verdict::Risk);
    }

    #[test]
    fn recommended() {
        assert_eq!(recommended_qos_s(1_091_706), 3);
        assert_eq!(recommended_qos_s(2_000_000), 5);
        assert_eq!(recommended_qos_s(0), 1);
        assert_eq!(recommended_qos_s(u64::MAX), 36_893_488_147_420);
    }

    #[test]
    fn cpf_smallest_mirror_wins() {
        let cpf = b"[ConfigFile]\r\nVersion=2023.1\r\n[Mirrors]\r\nPRODMIR=C8F3,2,1,1,8000,0,0\r\nREPMIR=AB12,2,1,0,4000,0,1,,\r\n[MirrorMember]\r\nX=1,2,3,4,1\r\n";
        let q = from_cpf(cpf, "iris.cpf").unwrap();
        assert_eq!(q.us, 4_000_000);
        assert_eq!(
            q.source,
            QosSource::Cpf {
                file: "iris.cpf".into(),
                mirror: "REPMIR".into(),
                mirrors: 2
            }
        );
        assert!(from_cpf(b"[Mirrors]\n", "x.cpf").is_err());
        assert!(from_cpf(b"[Mirrors]\nM=a,2,1,1,8,0,0\n", "x.cpf").is_err());
        assert!(from_cpf(b"[Mirrors]\nM=a,2,1,1,0,0,0\n", "x.cpf").is_err());
        assert!(from_cpf(b"[Mirrors]\nM=a,2,1,1,800000,0,0\n", "x.cpf").is_err());
        assert!(from_cpf(b"[Mirrors]\nM=a,2,1,1,abc\n", "x.cpf").is_err());
    }
}
