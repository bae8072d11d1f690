//! What decided each cluster's kind, in words: the human formats show it
//! (markdown below the clusters, html in the marks' tooltips, the table
//! with `--explain`), so a reader can check a kind against the log.

use super::model::short_source;
use crate::analyze::{Cluster, KindSource};

/// One line per cluster: `#3 reset — vmware-2.log:145 DEVICE: Resetting
/// device 'ALL'.`
pub fn cluster_evidence(c: &Cluster) -> String {
    format!(
        "#{} {} — {}",
        c.id,
        c.kind.label(c.kind_source),
        evidence_text(c)
    )
}

/// What decided the kind: `vmware-2.log:145: DEVICE: Resetting device
/// 'ALL'.`, or why nothing did. Runs of blanks in the line are shown as
/// one: `DICT` lines pad their keys to a column (`DICT               displayName
/// = "db1"`), which at a terminal's width would leave no room for the
/// words. (JSON keeps the line as logged.)
pub fn evidence_text(c: &Cluster) -> String {
    match (&c.evidence, c.kind_source) {
        (Some(e), KindSource::None) => format!(
            "no marker; the line before it, {}:{}: {}",
            short_source(&e.source),
            e.line,
            squeeze_blanks(&e.text)
        ),
        (Some(e), _) => format!(
            "{}:{}: {}",
            short_source(&e.source),
            e.line,
            squeeze_blanks(&e.text)
        ),
        (None, KindSource::Heuristic) => {
            "guessed from the stuns' pattern (the source holds only stun lines)".to_owned()
        }
        (None, _) => "no marker, and no line before its first stun".to_owned(),
    }
}

/// The evidence of every cluster, in the order they are listed.
pub fn evidence_lines(clusters: &[Cluster]) -> Vec<String> {
    clusters.iter().map(cluster_evidence).collect()
}

/// `text` with every run of spaces and tabs written as one space.
fn squeeze_blanks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split([' ', '\t']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::squeeze_blanks;

    #[test]
    fn runs_of_blanks_are_shown_as_one() {
        assert_eq!(
            squeeze_blanks("DICT               displayName = \"gone01\""),
            "DICT displayName = \"gone01\""
        );
        assert_eq!(squeeze_blanks("a\t\t b"), "a b");
        assert_eq!(
            squeeze_blanks("DEVICE: Resetting device 'ALL'."),
            "DEVICE: Resetting device 'ALL'."
        );
    }
}
