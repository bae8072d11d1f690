#!/usr/bin/env bash
# SPEC section 9: stunscan against ripgrep, the seed grep pipeline, a bare
# inflate and pigz, on a generated corpus (tree and .tgz); peak memory;
# correctness (events found == events planted).
#
#   benches/compare.sh                      # 1 GB corpus, 4000 files
#   SIZE_MB=50 benches/compare.sh           # quick try
#
# Environment:
#   CORPUS     corpus directory (default bench-corpus, git-ignored)
#   SIZE_MB    corpus size (default 1024)
#   FILES      vmware*.log files (default 4000 scaled to SIZE_MB: ~256 KiB each)
#   SMALL_MB   size of the memory-flatness corpus in ${CORPUS}-small (default 100)
#   RUNS       hyperfine runs (default 5); WARMUP (default 1)
#
# Results (hyperfine JSON, time -v output, summary.md) go to ${CORPUS}/results/.
set -euo pipefail

cd "$(dirname "$0")/.."

CORPUS=${CORPUS:-bench-corpus}
SIZE_MB=${SIZE_MB:-1024}
if [[ -z ${FILES:-} ]]; then
    FILES=$(( SIZE_MB * 4000 / 1024 ))
    (( FILES < 50 )) && FILES=50
fi
SMALL_MB=${SMALL_MB:-100}
SMALL=${SMALL_CORPUS:-${CORPUS}-small}
SMALL_FILES=$(( SMALL_MB * 4000 / 1024 ))
(( SMALL_FILES < 50 )) && SMALL_FILES=50
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}

say() { printf '\n== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v rg >/dev/null || missing+=(ripgrep)
command -v pigz >/dev/null || missing+=(pigz)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if (( ${#missing[@]} )); then
    say "installing ${missing[*]}"
    SUDO=
    if (( EUID != 0 )) && command -v sudo >/dev/null; then SUDO=sudo; fi
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# --- build ---------------------------------------------------------------------
say "cargo build --release --bins --examples"
cargo build --release --bins --examples
BIN=$PWD/target/release/stunscan
INFLATE=$PWD/target/release/examples/inflate
GEN=$PWD/target/release/examples/gencorpus

# --- corpora -------------------------------------------------------------------
# gen DIR SIZE_MB FILES: (re)generates DIR unless its MANIFEST says it was
# generated with the same arguments.
gen() {
    local dir=$1 mb=$2 files=$3
    local want="args: --size-mb $mb --files $files"
    if [[ -f $dir/MANIFEST.txt ]] && grep -qxF "$want" "$dir/MANIFEST.txt"; then
        say "corpus $dir exists ($want)"
        return
    fi
    if [[ -e $dir/tree || -e $dir/corpus.tgz ]]; then
        say "corpus $dir is stale or incomplete: regenerating"
        rm -rf -- "$dir/tree" "$dir/corpus.tgz" "$dir/MANIFEST.txt"
    fi
    say "generating $dir ($mb MB, $files log files)"
    mkdir -p "$dir"
    "$GEN" "$dir" --size-mb "$mb" --files "$files" >/dev/null
}
gen "$CORPUS" "$SIZE_MB" "$FILES"
gen "$SMALL" "$SMALL_MB" "$SMALL_FILES"

manifest() { sed -n "s/^$2: \([0-9]*\).*/\1/p" "$1/MANIFEST.txt"; }
TREE=$(cd "$CORPUS/tree" && pwd)
TGZ=$(cd "$CORPUS" && pwd)/corpus.tgz
RES=$CORPUS/results
mkdir -p "$RES"
PLANTED=$(manifest "$CORPUS" planted_events)
PLANTED_SUM=$(manifest "$CORPUS" planted_sum_us)
say "$(grep -E '^(total_bytes|files|tgz_bytes|planted_events|decoys):' "$CORPUS/MANIFEST.txt" | tr '\n' ' ')"

# Page cache warm.
cat "$TGZ" >/dev/null
find "$TREE" -type f -exec cat {} + >/dev/null

# --- correctness -----------------------------------------------------------------
# check NAME TSV: line count and sum of stun_us against the manifest; on a
# mismatch, list missed and extra lines against the planted records (planted
# stuns are the only `Checkpoint_Unstun` messages on a vcpu thread).
check() {
    local name=$1 tsv=$2
    local n sum
    n=$(wc -l <"$tsv")
    sum=$(awk -F'\t' '{ s += $1 } END { printf "%.0f", s }' "$tsv")
    if [[ $n == "$PLANTED" && $sum == "$PLANTED_SUM" ]]; then
        echo "ok"
        return
    fi
    echo "MISMATCH, see above"
    {
        echo "stunscan $name: $n events (sum $sum us); planted $PLANTED (sum $PLANTED_SUM us)"
        (cd "$TREE" && grep -rnE --include='vmware*.log' \
            'vcpu-[0-9]+(\| ([A-Z][0-9]{3}: )?| - | )Checkpoint_Unstun: vm stopped for [0-9]+ us'$'\r''?$' .) \
            >"$RES/planted-lines.txt" || true
        python3 - "$tsv" "$RES/planted-lines.txt" <<'PY'
import sys
tsv, planted = sys.argv[1], sys.argv[2]
def norm(src):
    src = src.split("!")[-1]
    i = src.find("esx-")
    return src[i:] if i >= 0 else src
want = {}
for l in open(planted, encoding="utf-8", errors="replace"):
    path, line, text = l.rstrip("\n").split(":", 2)
    want[(norm(path), int(line))] = text.rstrip("\r")
got = {}
for l in open(tsv, encoding="utf-8", errors="replace"):
    f = l.rstrip("\n").split("\t")
    got[(norm(f[7]), int(f[8]))] = f[0]
missed = sorted(set(want) - set(got))
extra = sorted(set(got) - set(want))
print(f"  missed {len(missed)}, extra {len(extra)}")
for k in missed[:20]:
    print(f"  MISSED {k[0]}:{k[1]}: {want[k]}")
for k in extra[:20]:
    print(f"  EXTRA  {k[0]}:{k[1]}: stun_us={got[k]}")
PY
    } >&2
}

say "correctness"
"$BIN" -q --format tsv "$TREE" >"$RES/tree.tsv"
"$BIN" -q --format tsv "$TGZ" >"$RES/tgz.tsv"
TREE_OK=$(check tree "$RES/tree.tsv")
TGZ_OK=$(check tgz "$RES/tgz.tsv")
TREE_N=$(wc -l <"$RES/tree.tsv")
TGZ_N=$(wc -l <"$RES/tgz.tsv")
RG_N=$(rg -F Unstun "$TREE" | wc -l)
GREP_N=$(grep -r Unstun "$TREE" | wc -l)
[[ $RG_N == "$GREP_N" ]] || echo "warning: rg found $RG_N lines, grep $GREP_N (ignore rules?)" >&2

# --- memory -----------------------------------------------------------------------
# rss_kb PATH: stunscan's peak resident set size in kB.
rss_kb() {
    /usr/bin/time -v "$BIN" -q --format tsv "$1" 2>&1 >/dev/null |
        sed -n 's/.*Maximum resident set size (kbytes): //p'
}
say "peak memory"
RSS_TREE=$(rss_kb "$TREE")
RSS_TGZ=$(rss_kb "$TGZ")
RSS_SMALL_TREE=$(rss_kb "$(cd "$SMALL/tree" && pwd)")
RSS_SMALL_TGZ=$(rss_kb "$(cd "$SMALL" && pwd)/corpus.tgz")

# --- speed ------------------------------------------------------------------------
say "tree: stunscan vs rg vs grep pipeline"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$RES/tree.json" \
    -n stunscan "$BIN -q --format tsv '$TREE' >/dev/null" \
    -n rg "rg -F Unstun '$TREE' >/dev/null" \
    -n grep-pipeline "grep -r Unstun '$TREE' | awk '{ printf (\"%d\", \$8)} {print \" ---\" \$0}' | sort -nr >/dev/null"

say "tgz: stunscan vs inflate vs pigz"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$RES/tgz.json" \
    -n stunscan "$BIN -q --format tsv '$TGZ' >/dev/null" \
    -n inflate "$INFLATE '$TGZ' >/dev/null" \
    -n pigz "pigz -dc '$TGZ' >/dev/null"

# --- summary ----------------------------------------------------------------------
python3 - "$RES" "$CORPUS" "$SMALL" <<PY | tee "$RES/summary.md"
import json, sys
res, corpus, small = sys.argv[1:4]
def med(f):
    return {r["command"]: r["median"] for r in json.load(open(f"{res}/{f}.json"))["results"]}
t, z = med("tree"), med("tgz")
def man(d):
    return dict(l.rstrip("\n").split(": ", 1) for l in open(f"{d}/MANIFEST.txt")
                if ": " in l and not l.startswith("#"))
m, ms = man(corpus), man(small)
mb = lambda kb: int(kb) / 1024
rss = {"tree": mb("$RSS_TREE"), "tgz": mb("$RSS_TGZ"),
       "small tree": mb("$RSS_SMALL_TREE"), "small tgz": mb("$RSS_SMALL_TGZ")}
print(f"## stunscan vs baselines: {int(m['total_bytes'])/1e6:.0f} MB, {m['files']} files "
      f"(tgz {int(m['tgz_bytes'])/1e6:.0f} MB), {m['planted_events']} planted events\n")
print("| input | command | median (s) |")
print("|---|---|---:|")
for k, v in t.items(): print(f"| tree | {k} | {v:.3f} |")
for k, v in z.items(): print(f"| tgz | {k} | {v:.3f} |")
rows = [
    ("stunscan / rg (tree)", t["stunscan"] / t["rg"], "<= 1.1", lambda r: r <= 1.1),
    ("grep-pipeline / stunscan (tree)", t["grep-pipeline"] / t["stunscan"], ">= 6", lambda r: r >= 6),
    ("stunscan / inflate (tgz)", z["stunscan"] / z["inflate"], "<= 1.1", lambda r: r <= 1.1),
    ("stunscan / pigz -dc (tgz)", z["stunscan"] / z["pigz"], "<= 0.65", lambda r: r <= 0.65),
]
print("\n| ratio | value | target | met |")
print("|---|---:|---|---|")
for name, r, tgt, ok in rows:
    print(f"| {name} | {r:.2f} | {tgt} | {'yes' if ok(r) else 'NO'} |")
for k in ("tree", "tgz"):
    print(f"| peak RSS {k} (MB) | {rss[k]:.1f} | <= 64 | {'yes' if rss[k] <= 64 else 'NO'} |")
print(f"\nMemory flatness: {int(ms['total_bytes'])/1e6:.0f} MB corpus -> "
      f"tree {rss['small tree']:.1f} MB, tgz {rss['small tgz']:.1f} MB; "
      f"{int(m['total_bytes'])/1e6:.0f} MB corpus -> tree {rss['tree']:.1f} MB, tgz {rss['tgz']:.1f} MB.")
print(f"\nCorrectness: planted {m['planted_events']}; stunscan tree $TREE_N ($TREE_OK), "
      f"tgz $TGZ_N ($TGZ_OK). rg -F Unstun matched $RG_N lines, grep -r $GREP_N "
      f"(decoys, vmkernel.log mentions and all).")
PY

[[ $TREE_OK == ok && $TGZ_OK == ok ]] || { echo "event counts do not match the manifest" >&2; exit 1; }
