#!/usr/bin/env python3
"""Two stunscan builds (and ripgrep) on the same input, in alternating rounds.

A block of runs of one build, then a block of the other (what hyperfine
does with two commands), lets the machine's state drift between the
blocks: on this project's 2-core build machine that alone moved a 17 %
difference to 5 %. Here every round runs each program once, in an order
that alternates from round to round, and the figure is the median of the
per-round ratios.

    python3 benches/ab.py OLD_BIN NEW_BIN PATH [--rounds 15] [-- ARGS...]

ARGS go to both builds (default: -q); each build runs by default and with
-j 1; `rg -F Unstun PATH` runs beside them when rg is installed. Wall,
user and system times come from wait4, so they are the child's own.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import time


def run(cmd):
    """Wall, user and system seconds of one run of `cmd`."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {status}")
    return wall, usage.ru_utime, usage.ru_stime


def rounds(programs, n):
    """Each program's runs, `n` rounds in alternating order, after a warm-up."""
    for cmd in programs.values():
        run(cmd)
    results = {name: [] for name in programs}
    names = list(programs)
    for i in range(n):
        for name in names if i % 2 == 0 else reversed(names):
            results[name].append(run(programs[name]))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("path")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("args", nargs="*", default=["-q"])
    a = ap.parse_args()
    for threads in ([], ["-j", "1"]):
        programs = {
            "old": [a.old, *threads, *a.args, a.path],
            "new": [a.new, *threads, *a.args, a.path],
        }
        if shutil.which("rg"):
            programs["rg"] = ["rg", *threads, "-F", "Unstun", a.path]
        res = rounds(programs, a.rounds)
        label = " ".join(threads) or "default"
        for name, runs in res.items():
            wall, user, sys_ = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"{label:8} {name:4} wall {wall:.3f} s  user {user:.3f} s  system {sys_:.3f} s")
        ratio = statistics.median(n[0] / o[0] for o, n in zip(res["old"], res["new"]))
        line = f"{label:8} new / old, per round: {ratio:.3f}"
        if "rg" in res:
            to_rg = statistics.median(n[0] / r[0] for r, n in zip(res["rg"], res["new"]))
            line += f"; new / rg: {to_rg:.3f}"
        print(line)


if __name__ == "__main__":
    main()
