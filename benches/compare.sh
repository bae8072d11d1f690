#!/usr/bin/env bash
# Every speed target in one run: stunscan against ripgrep, the seed grep
# pipeline, a bare inflate and pigz, on a generated corpus (tree and .tgz);
# two host bundles given together and as a vCenter-style .zip against the
# same bundles read one after another; each with the default thread count
# and with -j 1, side by side, as medians of back-to-back pairs. Peak memory
# on the corpus, on dense inputs (many stuns, many VMs) and per stream in
# flight; correctness (events found == events planted).
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
#   PAIRS      back-to-back pairs for each ratio (default 9)
#   DENSE      dense-input directory (default ${CORPUS}-dense)
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
PAIRS=${PAIRS:-9}
DENSE=${DENSE:-${CORPUS}-dense}
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
GENDENSE=$PWD/target/release/examples/gendense

# --- corpora -------------------------------------------------------------------
# gen DIR SIZE_MB FILES: (re)generates DIR unless its MANIFEST says it was
# generated with the same arguments.
gen() {
    local dir=$1 mb=$2 files=$3
    local want="args: --size-mb $mb --files $files"
    if [[ -f $dir/MANIFEST.txt ]] && grep -qxF "$want" "$dir/MANIFEST.txt" &&
        grep -q '^vcenter_zip:' "$dir/MANIFEST.txt"; then
        say "corpus $dir exists ($want)"
        return
    fi
    if [[ -e $dir/tree || -e $dir/corpus.tgz ]]; then
        say "corpus $dir is stale or incomplete: regenerating"
        rm -rf -- "$dir/tree" "$dir/corpus.tgz" "$dir/hosts" "$dir/MANIFEST.txt"
    fi
    say "generating $dir ($mb MB, $files log files)"
    mkdir -p "$dir"
    "$GEN" "$dir" --size-mb "$mb" --files "$files" >/dev/null
}
gen "$CORPUS" "$SIZE_MB" "$FILES"
gen "$SMALL" "$SMALL_MB" "$SMALL_FILES"

# dense MODE DIR ARGS...: the dense inputs of examples/gendense, kept while
# their MANIFEST says they were made with the same arguments.
dense() {
    local mode=$1 dir=$2; shift 2
    local want="args: $*"
    if [[ -f $dir/MANIFEST.txt ]] && grep -qxF "$want" "$dir/MANIFEST.txt"; then
        return
    fi
    rm -rf -- "$dir"
    say "generating $dir ($mode $*)"
    "$GENDENSE" "$mode" "$dir" "$@" >/dev/null
}
dense stuns "$DENSE/stuns-200k" --stuns 200000 --logs 500
dense stuns "$DENSE/stuns-100k" --stuns 100000 --logs 500
dense stuns "$DENSE/stuns-1k" --stuns 1000 --logs 500
dense vms "$DENSE/vms-100k" --vms 100000
dense vms "$DENSE/vms-50k" --vms 50000

manifest() { sed -n "s/^$2: \([0-9]*\).*/\1/p" "$1/MANIFEST.txt"; }
TREE=$(cd "$CORPUS/tree" && pwd)
TGZ=$(cd "$CORPUS" && pwd)/corpus.tgz
RES=$CORPUS/results
mkdir -p "$RES"
HOSTS=$(cd "$CORPUS/hosts" && pwd)
H1=$HOSTS/$(sed -n 's/^host_tgz.1: hosts\///p' "$CORPUS/MANIFEST.txt")
H2=$HOSTS/$(sed -n 's/^host_tgz.2: hosts\///p' "$CORPUS/MANIFEST.txt")
VCZIP=$HOSTS/vcenter.zip
PLANTED_H12=$(( $(manifest "$CORPUS" host_events.1) + $(manifest "$CORPUS" host_events.2) ))
PLANTED=$(manifest "$CORPUS" planted_events)
PLANTED_SUM=$(manifest "$CORPUS" planted_sum_us)
say "$(grep -E '^(total_bytes|files|tgz_bytes|planted_events|decoys):' "$CORPUS/MANIFEST.txt" | tr '\n' ' ')"

# Page cache warm.
cat "$TGZ" "$HOSTS"/* >/dev/null
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

say "load before the runs: $(uptime)"
say "correctness"
"$BIN" -q --format tsv "$TREE" >"$RES/tree.tsv"
"$BIN" -q --format tsv "$TGZ" >"$RES/tgz.tsv"
TREE_OK=$(check tree "$RES/tree.tsv")
TGZ_OK=$(check tgz "$RES/tgz.tsv")
# The two host bundles, together and in the zip: the events planted in them.
HOSTS_OK=ok
for args in "$H1 $H2" "$VCZIP" "-j 1 $VCZIP"; do
    n=$("$BIN" -q --format tsv $args | wc -l)
    [[ $n == "$PLANTED_H12" ]] || HOSTS_OK="MISMATCH ($args: $n, planted $PLANTED_H12)"
done
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
# rss_json PATH: the same with --format json (every event kept and printed).
rss_json() {
    /usr/bin/time -v "$BIN" -q --format json "$1" 2>&1 >/dev/null |
        sed -n 's/.*Maximum resident set size (kbytes): //p'
}
say "peak memory on dense inputs"
for d in stuns-200k stuns-100k stuns-1k; do
    echo "$d tgz $(rss_json "$DENSE/$d/stuns.tgz") tree $(rss_json "$DENSE/$d/tree")"
done >"$RES/dense-stuns.txt"
for d in vms-100k vms-50k; do
    echo "$d tgz $(rss_json "$DENSE/$d/vms.tgz")"
done >"$RES/dense-vms.txt"
# Memory per stream in flight: every host bundle given at once, read with
# 1, 2, 4 and 8 threads (on 2 cores too: -j sets the streams in flight).
say "peak memory per stream in flight"
ALL_HOSTS=$(ls "$HOSTS"/esx-*.tgz)
for j in 1 2 4 8; do
    /usr/bin/time -o "$RES/time-j$j.txt" -f '%M %e' "$BIN" -q --format tsv -j $j $ALL_HOSTS >/dev/null 2>&1
    echo "$j $(cat "$RES/time-j$j.txt")"
done >"$RES/rss-streams.txt"
# And one bundle alone, read on two threads (inflating beside) and on one.
RSS_ONE_J2=$(/usr/bin/time -v "$BIN" -q --format tsv -j 2 "$H1" 2>&1 >/dev/null |
    sed -n 's/.*Maximum resident set size (kbytes): //p')
RSS_ONE_J1=$(/usr/bin/time -v "$BIN" -q --format tsv -j 1 "$H1" 2>&1 >/dev/null |
    sed -n 's/.*Maximum resident set size (kbytes): //p')

# Events found on the dense inputs, against the planted counts.
DENSE_OK=ok
for d in stuns-200k vms-100k; do
    f=$(ls "$DENSE/$d"/*.tgz)
    n=$("$BIN" -q --format tsv "$f" | wc -l)
    [[ $n == "$(manifest "$DENSE/$d" planted_events)" ]] || DENSE_OK="MISMATCH ($d: $n)"
done

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

# pairs NAME CMD_A CMD_B: PAIRS back-to-back runs of A then B (wall time),
# written to $RES/pairs-NAME.txt as "a_seconds b_seconds" lines. A shared
# machine's noise hits both halves of a pair alike; the median ratio of the
# pairs is what the summary reports, with the spread.
pairs() {
    local name=$1 a=$2 b=$3
    say "pairs: $name ($PAIRS)"
    python3 - "$a" "$b" "$PAIRS" >"$RES/pairs-$name.txt" <<'PY'
import subprocess, sys, time
a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
run(a); run(b)  # warm-up
for _ in range(n):
    print(f"{run(a):.4f} {run(b):.4f}")
PY
}
# Each row with the default thread count and with -j 1 (rg -j 1 for the
# tree), interleaved: default, then -j 1, row after row.
pairs tree-rg "$BIN -q --format tsv '$TREE'" "rg -F Unstun '$TREE'"
pairs tree-rg-j1 "$BIN -q -j 1 --format tsv '$TREE'" "rg -j 1 -F Unstun '$TREE'"
pairs tgz-inflate "$BIN -q --format tsv '$TGZ'" "$INFLATE '$TGZ'"
pairs tgz-inflate-j1 "$BIN -q -j 1 --format tsv '$TGZ'" "$INFLATE '$TGZ'"
pairs tgz-pigz "$BIN -q --format tsv '$TGZ'" "pigz -dc '$TGZ'"
pairs tgz-pigz-j1 "$BIN -q -j 1 --format tsv '$TGZ'" "pigz -dc '$TGZ'"
# Two host bundles: given together, and in a zip, against reading them one
# after the other (two processes in a row).
pairs two-tgz "$BIN -q --format tsv '$H1' '$H2'" "$BIN -q --format tsv '$H1'; $BIN -q --format tsv '$H2'"
pairs two-tgz-j1 "$BIN -q -j 1 --format tsv '$H1' '$H2'" "$BIN -q -j 1 --format tsv '$H1'; $BIN -q -j 1 --format tsv '$H2'"
pairs zip-two "$BIN -q --format tsv '$VCZIP'" "$BIN -q --format tsv '$H1'; $BIN -q --format tsv '$H2'"
pairs zip-two-j1 "$BIN -q -j 1 --format tsv '$VCZIP'" "$BIN -q -j 1 --format tsv '$H1'; $BIN -q -j 1 --format tsv '$H2'"

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
def pairs(name):
    rs = sorted(float(a) / float(b) for a, b in (l.split() for l in open(f"{res}/pairs-{name}.txt")))
    return rs[len(rs) // 2], rs[0], rs[-1], len(rs)
def dense(name):
    out = {}
    for l in open(f"{res}/dense-{name}.txt"):
        f = l.split()
        out[f[0]] = {f[i]: int(f[i + 1]) * 1024 for i in range(1, len(f), 2)}
    return out
ds, dv = dense("stuns"), dense("vms")
MB = 1 << 20
rows = []
def fmt(name):
    med, lo, hi, n = pairs(name)
    return med, f"{med:.2f} x ({lo:.2f}-{hi:.2f})", n
print("\n| work (median of back-to-back pairs, spread) | default | -j 1 | target | met (default) |")
print("|---|---:|---:|---|---|")
for name, label, tgt, ok in (
        ("tree-rg", "tree: stunscan / rg -F Unstun (-j 1: both)", "<= 1.1", lambda r: r <= 1.1),
        ("tgz-inflate", "one .tgz: stunscan / bare single-stream inflate", "<= 0.75", lambda r: r <= 0.75),
        ("tgz-pigz", "one .tgz: stunscan / pigz -dc", "<= 0.65", lambda r: r <= 0.65),
        ("two-tgz", "two host .tgz given together / one after the other", "<= 0.6", lambda r: r <= 0.6),
        ("zip-two", "a .zip of those two .tgz / them one after the other", "<= 0.6", lambda r: r <= 0.6)):
    med, d, n = fmt(name)
    _, j1, _ = fmt(name + "-j1")
    print(f"| {label} | {d} | {j1} | {tgt} | {'yes' if ok(med) else 'NO'} |")
print(f"\n({n} pairs each.)")
# Dense stuns: above the fixed 64 MB, per event (the issue's measure), and
# the marginal cost per event between 100,000 and 200,000 stuns.
for kind in ("tgz", "tree"):
    big, mid, base = ds["stuns-200k"][kind], ds["stuns-100k"][kind], ds["stuns-1k"][kind]
    above = max(0, big - 64 * MB) / 200000
    slope = (big - mid) / 100000
    rows.append((f"200,000 stuns in 500 logs ({kind}), --format json: peak RSS {big / MB:.1f} MB; above 64 MB, per event",
                 f"{above:.0f} B (marginal {slope:.0f} B/event)", "<= 256 B", above <= 256))
vb, vm = dv["vms-100k"]["tgz"], dv["vms-50k"]["tgz"]
allowed = 64 * MB + 256 * 100000 + 512 * 100000
rows.append(("100,000 VMs with one stun each (.tgz), --format json: peak RSS",
             f"{vb / MB:.1f} MB (marginal {(vb - vm) / 50000:.0f} B per VM and its event)",
             f"<= 64 MB + 256 B/event + 512 B/VM ({allowed / MB:.0f} MB)", vb <= allowed))
rows.append(("peak RSS, 1 GB tree and tgz", f"{rss['tree']:.1f} MB, {rss['tgz']:.1f} MB", "<= 64 MB",
             max(rss['tree'], rss['tgz']) <= 64))
rows.append(("tree: grep pipeline / stunscan (hyperfine medians)", f"{t['grep-pipeline'] / t['stunscan']:.2f} x", ">= 6",
             t['grep-pipeline'] / t['stunscan'] >= 6))
print("\n| work | measured | target | met |")
print("|---|---:|---|---|")
for name, v, tgt, ok in rows:
    print(f"| {name} | {v} | {tgt} | {'yes' if ok else 'NO'} |")
streams = [(int(j), int(kb), float(t)) for j, kb, t in (l.split() for l in open(f"{res}/rss-streams.txt"))]
per = (streams[-1][1] - streams[0][1]) / (streams[-1][0] - streams[0][0]) / 1024
print("\nEvery host bundle given at once, by threads (streams in flight), one run each: "
      + ", ".join(f"-j {j}: {t:.2f} s" for j, _, t in streams) + ".")
print("\nPeak RSS with every host bundle given at once, by threads (streams in flight): "
      + ", ".join(f"-j {j}: {kb / 1024:.1f} MB" for j, kb, _ in streams)
      + f"; {per:.2f} MB per stream. One bundle alone: {int('$RSS_ONE_J2') / 1024:.1f} MB "
      f"(inflating beside, default) / {int('$RSS_ONE_J1') / 1024:.1f} MB (-j 1).")
print(f"\nMemory flatness: {int(ms['total_bytes'])/1e6:.0f} MB corpus -> "
      f"tree {rss['small tree']:.1f} MB, tgz {rss['small tgz']:.1f} MB; "
      f"{int(m['total_bytes'])/1e6:.0f} MB corpus -> tree {rss['tree']:.1f} MB, tgz {rss['tgz']:.1f} MB.")
print(f"\nCorrectness: planted {m['planted_events']}; stunscan tree $TREE_N ($TREE_OK), "
      f"tgz $TGZ_N ($TGZ_OK). rg -F Unstun matched $RG_N lines, grep -r $GREP_N "
      f"(decoys, vmkernel.log mentions and all). Dense inputs: $DENSE_OK. "
      f"Two host bundles (planted $PLANTED_H12), together, in the zip and with -j 1: $HOSTS_OK.")
import subprocess
print("\nLoad: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
PY

[[ $TREE_OK == ok && $TGZ_OK == ok && $DENSE_OK == ok && $HOSTS_OK == ok ]] || { echo "event counts do not match the manifest" >&2; exit 1; }
