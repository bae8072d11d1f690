#!/usr/bin/env python3
"""Soak of a live watch: a day of logs in a few minutes.

A generator appends VMware log lines to a few VM directories as fast as it
can, rotating each log as ESXi does (rename to vmware-1.log ... vmware-5.log,
a new vmware.log) and every third time as a collector does (copy to
vmware-1.log, truncate), with snapshot markers and stun lines among filler
lines. Log time runs 50 ms a line and half an hour between one cycle of
operations (a snapshot create, a consolidation) and the next, so a few
minutes cover many days (the VM windows' reach is 25 hours). `stunscan --follow` (release build)
watches the tree; its resident memory is sampled every 2 s.

At the end: every stun written must have been printed exactly once, and the
memory of the last minutes must be no higher than after the first day of
log time.

    cargo build --release
    python3 benches/soak.py --minutes 3 [--poll 1s]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FILLER = [
    "In(05) vmx - VigorTransportProcessClientPayload: opID=HB-host-1@12345-b1c2 seq=31337: Receiving Bootstrap.MessageReply request.",
    "In(05) vcpu-1 - Guest: toolbox: Version: build-22544099",
    "In(05) mks - SVGA: Unregistering IOSpace at 0x1070",
    "In(05) vmx - GuestRpc: Got RPCI vsocket connection 1234, assigned to channel 0.",
    "Wa(03) vmx - VMX has left the building: 0.",
]
SNAP = ("In(05) vmx - SnapshotVMX_TakeSnapshot start: 'nightly', deviceState=0, "
        "lazy=0, quiesced=1, forceNative=0, tryNative=1, saveAllocMaps=0")
CONS = "In(05) vmx - ConsolidateStart: Starting consolidation"
CONS_END = "In(05) vmx - ConsolidateEnd: Snapshot consolidate complete: The operation completed successfully (0)."

ROTATE_BYTES = 4 << 20
KEEP = 5


def stamp(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03dZ" % (ms % 1000)


class Vm:
    def __init__(self, root, i):
        self.dir = os.path.join(root, "vmfs/volumes/ds1/vm%02d" % i)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "vmware.log")
        self.f = open(self.log, "ab", buffering=0)
        self.rotations = 0
        self.name = "vm%02d" % i

    def rotate(self):
        self.rotations += 1
        copy = self.rotations % 3 == 0
        for n in range(KEEP, 0, -1):
            src = os.path.join(self.dir, "vmware-%d.log" % n)
            if os.path.exists(src):
                if n == KEEP:
                    os.remove(src)
                else:
                    os.rename(src, os.path.join(self.dir, "vmware-%d.log" % (n + 1)))
        first = os.path.join(self.dir, "vmware-1.log")
        if copy:
            shutil.copyfile(self.log, first)
            self.f.truncate(0)
        else:
            self.f.close()
            os.rename(self.log, first)
            self.f = open(self.log, "ab", buffering=0)


def generate(root, vms, seconds, written, stats):
    ms = 1_764_806_400_000  # 2025-12-04T00:00:00Z
    us = 1_000_000
    deadline = time.time() + seconds
    line_no = 0
    while time.time() < deadline:
        for vm in vms:
            chunk = []
            for _ in range(200):
                ms += 50
                line_no += 1
                r = line_no % 400
                if r == 0:
                    chunk.append("%s %s" % (stamp(ms), SNAP))
                elif r == 1 or r == 7:
                    us += 1
                    chunk.append("%s In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for %d us" % (stamp(ms), us))
                    written.append(us)
                elif r == 100:
                    chunk.append("%s %s" % (stamp(ms), CONS))
                elif 101 <= r <= 103:
                    us += 1
                    chunk.append("%s In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for %d us" % (stamp(ms), us))
                    written.append(us)
                elif r == 104:
                    chunk.append("%s %s" % (stamp(ms), CONS_END))
                else:
                    chunk.append("%s %s" % (stamp(ms), FILLER[line_no % len(FILLER)]))
                if r == 399:
                    # A quiet half hour between one night's operations and
                    # the next: clusters end, the log's day goes by.
                    ms += 30 * 60 * 1000
            data = ("\n".join(chunk) + "\n").encode()
            vm.f.write(data)
            stats["bytes"] += len(data)
            stats["lines"] += len(chunk)
            if vm.f.tell() > ROTATE_BYTES:
                vm.rotate()
                stats["rotations"] += 1
    stats["log_hours"] = (ms - 1_764_806_400_000) / 3_600_000


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--vms", type=int, default=4)
    ap.add_argument("--poll", default=None)
    ap.add_argument("--binary", default="target/release/stunscan")
    ap.add_argument("--keep", action="store_true", help="keep the temporary tree and output")
    a = ap.parse_args()

    root = tempfile.mkdtemp(prefix="stunscan-soak-")
    vms = [Vm(root, i) for i in range(a.vms)]
    out_path = os.path.join(root, "out.tsv")
    cmd = [a.binary, "--follow", os.path.join(root, "vmfs"), "--since", "now", "--format", "tsv", "-q"]
    if a.poll:
        cmd += ["--poll", a.poll]
    out = open(out_path, "wb")
    err_path = os.path.join(root, "err.txt")
    err_file = open(err_path, "wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=err_file)
    time.sleep(1.0)

    samples = []
    stop = threading.Event()

    def sample():
        t0 = time.time()
        while not stop.is_set():
            r = rss_kib(proc.pid)
            if r is not None:
                samples.append((time.time() - t0, r))
            stop.wait(2.0)

    sampler = threading.Thread(target=sample)
    sampler.start()
    written = []
    stats = {"bytes": 0, "lines": 0, "rotations": 0, "log_hours": 0}
    t0 = time.time()
    generate(root, vms, a.minutes * 60, written, stats)
    gen_s = time.time() - t0
    # Let it catch up: until the output stops growing.
    last = -1
    while True:
        time.sleep(3)
        size = os.path.getsize(out_path)
        if size == last:
            break
        last = size
    # Idle CPU: ticks over 10 s with nothing written.
    hz = os.sysconf("SC_CLK_TCK")
    c0 = cpu_ticks(proc.pid)
    time.sleep(10)
    idle_cpu = (cpu_ticks(proc.pid) - c0) / hz / 10 * 100
    stop.set()
    sampler.join()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    out.close()
    err_file.close()
    with open(err_path, errors="replace") as f:
        err = f.read()

    printed = {}
    with open(out_path) as f:
        for line in f:
            us = int(line.split("\t", 1)[0])
            printed[us] = printed.get(us, 0) + 1
    missing = [u for u in written if u not in printed]
    twice = [u for u, n in printed.items() if n > 1]
    written_set = set(written)
    extra = [u for u in printed if u not in written_set]

    rss = [r for _, r in samples]
    first_day = [r for t, r in samples if t <= 60] or rss[:1]
    last_part = [r for t, r in samples if t >= samples[-1][0] - 60] or rss[-1:]
    print("generated %.0f s: %d lines, %.1f MB, %d stuns, %d rotations (a third copy-and-truncate), %.1f h of log time"
          % (gen_s, stats["lines"], stats["bytes"] / 1e6, len(written), stats["rotations"], stats["log_hours"]))
    print("printed %d stuns: %d missing, %d printed twice, %d unknown; exit status %d"
          % (sum(printed.values()), len(missing), len(twice), len(extra), code))
    print("RSS KiB: min %d, median %d, max %d; first minute max %d, last minute max %d (%d samples)"
          % (min(rss), statistics.median(rss), max(rss), max(first_day), max(last_part), len(rss)))
    by_half_minute = {}
    for t, r in samples:
        by_half_minute.setdefault(int(t // 30), []).append(r)
    print("RSS KiB by half minute (max): " + " ".join(str(max(v)) for _, v in sorted(by_half_minute.items())))
    print("idle CPU after the generator stopped: %.2f %% of a core" % idle_cpu)
    notes = [l for l in err.splitlines() if l.strip()]
    print("stderr: %d lines%s" % (len(notes), (", e.g. " + notes[0]) if notes else ""))
    ok = not missing and not twice and not extra and code == 0
    if twice or missing:
        print("e.g. printed twice: %s; missing: %s" % (twice[:3], missing[:3]))
    if a.keep:
        print("kept: " + root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
