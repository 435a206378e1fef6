"""Benchmark (not a test): zabra beside ZooKeeper's own tools on a large, real
data set written by Debian's ZooKeeper 3.8, in one run.

    python3 -m tests.peers.bench.inspect [--regen] [--scale F] [--runs N] [--data DIR]

1. Data set: a standalone ZooKeeper 3.8 (the harness's ZooKeeperServer:
   127.0.0.1, a free port, a private work dir, stopped by PID) driven by
   kazoo's async API (inspect_workload.py): 230,000 creates, 70,000 setData,
   20,000 deletes, 2,000 multis (>= 320k txns; snapCount=100000, default
   64 MiB preallocation, so several logs), then a restart, whose startup
   snapshot holds the whole tree (> 210k znodes).  Cached in --data and
   reused while its workload parameters match; --regen makes it again.
   --scale F multiplies the four counts (quick trials; a scaled set is cached
   in its own default dir, so the full one is kept).
2. Times (median wall time of --runs runs, output to /dev/null; peak RSS
   from GNU time) TxnLogToolkit -d on every log vs zabra dump / verify on the
   data dir, SnapshotFormatter vs zabra dump on the newest snapshot, and
   zabra stats; prints a table, ratios and how the targets are met.  Exits 0
   once it has measured: missed targets are reported, not fatal; 77 when
   ZooKeeper, kazoo, zabra or GNU time is missing.

Environment: BENCH_DATA (the default of --data: /tmp/zabra-bench-data), RUNS
(3), ZABRA (<repo>/build/tools/zabra; a Release build is expected), JAVA,
SLOW_LIMIT (180: a Java tool whose first run takes longer than this many
seconds runs only once), BENCH_NODES, BENCH_SETS, BENCH_DELETES,
BENCH_MULTIS (the workload's counts before --scale).
"""
import argparse
import json
import os
import re
import shutil
import sys
import time

from .. import WorkDir, ZooKeeperServer, run, skip, skip_unless, zxid
from ..procs import Proc
from . import inspect_workload
from .timing import (T0, Measurements, Timer, build_type, capture, git_commit, machine, need_time, package_version,
                     ratio, read_info, run_tool, say, which_java, write_info, zabra_binary, zk_tool)

PARENTS, BATCH, SNAPCOUNT = 8, 1000, 100000
DEFAULT_DATA = "/tmp/zabra-bench-data"


def workload_params(scale):
    counts = {k: int(int(os.environ.get("BENCH_" + k.upper(), d)) * scale)
              for k, d in (("nodes", 230000), ("sets", 70000), ("deletes", 20000), ("multis", 2000))}
    text = "parents=%d nodes=%d sets=%d deletes=%d multis=%d snapCount=%d preAllocSize=default" % (
        PARENTS, counts["nodes"], counts["sets"], counts["deletes"], counts["multis"], SNAPCOUNT)
    return counts, text


def generate(data, counts, params):
    g0 = time.monotonic()
    work = WorkDir("bench-gen")
    zk = ZooKeeperServer(workdir=work, tick_time=2000, snap_count=SNAPCOUNT, four_letter="srvr",
                         extra={"autopurge.purgeInterval": 0}, heap="1g",
                         jvm_opts=["-Xms256m", "-XX:-UseSerialGC"],       # the JVM's own GC choice
                         start_timeout=300.0, stop_timeout=30.0)
    say("generating the data set: ZooKeeper %s standalone on %s (%s)" % (
        package_version("zookeeper"), zk.hostport, work.path))
    zk.start()
    say("  server up (pid %d); kazoo workload: %s" % (zk.pid, params))
    inspect_workload.fill(zk, parents=PARENTS, batch=BATCH, **counts)
    say("  workload done, server zxid 0x%x; stopping it (pid %d)" % (zxid(zk.hostport) or 0, zk.pid))
    zk.stop()
    say("  restarting it: it loads the logs and writes a snapshot of the whole tree")
    since = zk.proc.log_size()
    zk.start()
    zk.stop()
    for line in zk.proc.log_text(since).splitlines():
        if "Snapshot loaded in" in line or "Snapshot taken in" in line:
            print("    " + line)
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(os.path.dirname(os.path.abspath(data)), exist_ok=True)
    shutil.move(zk.data_dir, data)
    took = time.monotonic() - g0
    versions = "zookeeper: %s, kazoo: %s" % (package_version("zookeeper"), package_version("python3-kazoo"))
    write_info(data, params, versions, took=took)
    say("data set generated in %d s: %s" % (took, data))


def by_zxid(v2, prefix):
    """Names <prefix>.<hex> in v2, oldest first (by zxid, as ZooKeeper orders them)."""
    names = [n for n in os.listdir(v2) if re.fullmatch(re.escape(prefix) + r"\.[0-9a-f]+", n)]
    return sorted(names, key=lambda n: int(n.split(".", 1)[1], 16))


def disk_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.lstat(os.path.join(root, f)).st_blocks * 512 for f in files)
    return total / 1048576


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regen", action="store_true", help="make a new data set even when the cached one fits")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the workload's counts (default 1: >= 320k txns, > 210k znodes)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 3)), help="runs per tool (median)")
    ap.add_argument("--data", help="the cached data set (default $BENCH_DATA or %s; -x<scale> appended "
                                   "for a --scale other than 1)" % DEFAULT_DATA)
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra")
    if need_time():
        skip(need_time())
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    zabra = zabra_binary()
    java = which_java()
    data = args.data or os.environ.get("BENCH_DATA") or (
        DEFAULT_DATA if args.scale == 1 else "%s-x%g" % (DEFAULT_DATA, args.scale))
    counts, params = workload_params(args.scale)

    if args.regen:
        say("--regen: making a new data set")
        generate(data, counts, params)
    elif os.path.isdir(os.path.join(data, "version-2")) and read_info(data, "params") == params:
        say("reusing the data set in %s (%s); --regen makes a new one" % (data, read_info(data, "generated")))
    else:
        if os.path.exists(data):
            say("%s is not a data set of this workload: making a new one" % data)
        generate(data, counts, params)

    v2 = os.path.join(data, "version-2")
    logs = by_zxid(v2, "log")
    snaps = by_zxid(v2, "snapshot")
    if not logs or not snaps:
        raise SystemExit("bench-inspect: no %s in %s" % ("logs" if not logs else "snapshot", v2))
    log_paths = [os.path.join(v2, n) for n in logs]
    snap = os.path.join(v2, snaps[-1])

    # data set facts (zabra's own accounting)
    meas = WorkDir("bench-meas")
    rc, out, err = run_tool([zabra, "verify", "--json", data], "verify-json", meas)
    if not out.strip():
        raise SystemExit("bench-inspect: zabra verify --json %s printed nothing (exit %s): %s" % (data, rc, err.strip()))
    last = json.loads(out.strip().splitlines()[-1])
    payload = last.get("payload_bytes", 0)
    verify_summary = "errors=%s warnings=%s notes=%s logs=%s records=%s zxids=%s..%s digests_compared=%s" % tuple(
        last.get(k) for k in ("errors", "warnings", "notes", "logs", "records", "first_zxid", "last_zxid",
                              "digests_compared"))
    txns = snap_nodes = 0
    for line in capture([zabra, "stats", "--json", data], "stats-json", meas).splitlines():
        o = json.loads(line)
        if o.get("record") == "logs":
            txns = o.get("txns", 0)
        if o.get("record") == "snapshot":
            snap_nodes = o.get("nodes", 0)
    log_bytes = sum(os.path.getsize(p) for p in log_paths)
    snap_bytes = os.path.getsize(snap)
    if txns < 300000 * args.scale:
        print("warning: only %d txns in the logs (wanted >= %d)" % (txns, 300000 * args.scale), file=sys.stderr)
    if snap_nodes < 200000 * args.scale:
        print("warning: the newest snapshot has only %d znodes (wanted >= %d)" % (snap_nodes, 200000 * args.scale),
              file=sys.stderr)

    timer = Timer(meas)
    m = Measurements(timer, runs=args.runs, slow_limit=float(os.environ.get("SLOW_LIMIT", 180)))
    tlt = zk_tool("persistence.TxnLogToolkit", "-d")

    def txnlogtoolkit_all():
        """TxnLogToolkit -d on every log: wall summed, RSS max, worst status."""
        runs = [timer.run(tlt + [p], "tlt") for p in log_paths]
        return sum(r[0] for r in runs), max(r[1] for r in runs), max((r[2] for r in runs), key=abs)

    b0 = time.monotonic()
    say("benchmark: %d run(s) each, output to /dev/null (zabra %s)" % (args.runs, git_commit(short=True)))
    lp, sf = "log payload", "snapshot file"
    m.measure("tlt", "TxnLogToolkit -d (%d logs, summed)" % len(logs), txnlogtoolkit_all, payload, lp, slow=True)
    for key, fmt in (("dtext", "text"), ("djson", "json"), ("dzk", "zk")):
        m.measure(key, "zabra dump --format %s DATADIR" % fmt, [zabra, "dump", "--format", fmt, data], payload, lp)
    m.measure("verify", "zabra verify DATADIR", [zabra, "verify", data], payload, lp)
    m.measure("verifynr", "zabra verify --no-replay DATADIR", [zabra, "verify", "--no-replay", data], payload, lp)
    # The logs alone: what verify costs per byte of log, without the snapshot
    # seals and the replay tree that dominate on a small, snapshot-heavy data set.
    m.measure("verifylogs", "zabra verify --no-replay LOGS (logs only)", [zabra, "verify", "--no-replay"] + log_paths,
              payload, lp)
    m.measure("sf", "SnapshotFormatter SNAP (-Xmx4g)", zk_tool("SnapshotFormatter", snap, jvm=["-Xmx4g"]), snap_bytes,
              sf, slow=True)
    m.measure("stext", "zabra dump SNAP (text)", [zabra, "dump", snap], snap_bytes, sf)
    m.measure("sjson", "zabra dump --format json SNAP", [zabra, "dump", "--format", "json", snap], snap_bytes, sf)
    m.measure("szk", "zabra dump --format zk SNAP", [zabra, "dump", "--format", "zk", snap], snap_bytes, sf)
    m.measure("stats", "zabra stats DATADIR", [zabra, "stats", data], payload, lp)

    # The dense copy: every preallocated zero on disk, as a copy of the dir has it.
    dense = os.path.join(meas.path, "dense")
    Proc(["cp", "-r", "--sparse=never", data, dense], "cp-dense", os.path.join(meas.path, "cp.err")).start().wait(1800)
    say("dense copy: %.0f MB on disk -> %.0f MB (%s)" % (disk_mb(data), disk_mb(dense), dense))
    for key, fmt in (("dtext_d", "text"), ("djson_d", "json"), ("dzk_d", "zk")):
        m.measure(key, "zabra dump --format %s DENSE" % fmt, [zabra, "dump", "--format", fmt, dense], payload, lp)
    m.measure("verify_d", "zabra verify DENSE", [zabra, "verify", dense], payload, lp)
    m.measure("stats_d", "zabra stats DENSE", [zabra, "stats", dense], payload, lp)

    # One log file (the first, a full 64 MiB one), sparse and dense.
    one = logs[0]
    one_dense = os.path.join(dense, "version-2", one)
    m.measure("tlt1", "TxnLogToolkit -d %s" % one, tlt + [log_paths[0]], slow=True)
    m.measure("d1text", "zabra dump %s (sparse)" % one, [zabra, "dump", "--format", "text", log_paths[0]])
    m.measure("d1json", "zabra dump --format json %s (sparse)" % one, [zabra, "dump", "--format", "json", log_paths[0]])
    m.measure("d1text_d", "zabra dump %s (dense)" % one, [zabra, "dump", "--format", "text", one_dense])
    m.measure("d1json_d", "zabra dump --format json %s (dense)" % one, [zabra, "dump", "--format", "json", one_dense])
    bench_s = time.monotonic() - b0

    report(m, meas, zabra, java, data, params, logs, log_bytes, txns, payload, snap, snap_nodes, snap_bytes,
           verify_summary)
    print()
    print("benchmark took %d s; whole run %d s" % (bench_s, time.monotonic() - T0))
    return 0


def report(m, meas, zabra, java, data, params, logs, log_bytes, txns, payload, snap, snap_nodes, snap_bytes,
           verify_summary):
    mb = "%.1f MB".__mod__
    print()
    print("== zabra vs ZooKeeper's tools on a real ZooKeeper 3.8 data set")
    print("machine:   %s" % machine())
    print("zabra:     %s, %s build" % (git_commit(), build_type(zabra)))
    java_version = capture([java, "-version"], "java-version", meas, stderr=True).splitlines()[0]
    print("zookeeper: %s, %s" % (package_version("zookeeper"), java_version))
    print("data set:  %s (%s)" % (data, read_info(data, "generated")))
    print("           workload: %s" % params)
    print("           %d logs (%s), %s of log files" % (len(logs), " ".join(logs), mb(log_bytes / 1e6)))
    print("           %d txns, %s of txn payload (zabra verify --json: payload_bytes %d)" % (
        txns, mb(payload / 1e6), payload))
    print("           newest snapshot %s: %d znodes, %s" % (os.path.basename(snap), snap_nodes, mb(snap_bytes / 1e6)))
    print("           verify: %s" % verify_summary)
    print()
    line = "%-42s %10s %10s %9s  %-14s %s"
    print(line % ("tool", "wall (s)", "RSS (MB)", "MB/s", "MB/s of", "runs"))
    print("-" * 104)
    for r in m.rows:
        if r["key"] in ("sf", "stats", "dtext_d", "tlt1"):
            print()
        print(line % (r["label"], "%.3f" % r["wall"], "%.1f" % r["rss_mb"],
                      "-" if r["mbps"] is None else "%.1f" % r["mbps"], r["of"], r["note"]))

    def rat(a, b):
        return ratio(m.wall(a), m.wall(b))

    def gbps(k):
        return payload / 1e9 / m.wall(k) if m.wall(k) else 0.0

    def short(k):
        return m.by_key[k]["label"].replace("zabra ", "", 1)
    print()
    print("ratios (ZooKeeper tool time / zabra time):")
    for k in ("dtext", "djson", "dzk", "dtext_d", "djson_d", "dzk_d"):
        print("  TxnLogToolkit / %-38s %8.1fx" % (short(k), rat("tlt", k)))
    for k in ("d1text", "d1json", "d1text_d", "d1json_d"):
        print("  TxnLogToolkit (one log) / %-28s %8.1fx" % (short(k), rat("tlt1", k)))
    for k in ("stext", "sjson", "szk"):
        print("  SnapshotFormatter / %-34s %8.1fx" % (short(k), rat("sf", k)))
    print("verify throughput (txn payload):")
    for k, label in (("verify", "zabra verify DATADIR (with replay)"), ("verifynr", "zabra verify --no-replay DATADIR"),
                     ("verifylogs", "zabra verify --no-replay LOGS (logs only)")):
        print("  %-52s %8.2f GB/s" % (label, gbps(k)))

    print()
    print("targets:")
    tally = [0, 0]

    def target(text, ok, detail):
        tally[0 if ok else 1] += 1
        print("  %-8s %-50s %s" % ("[met]" if ok else "[MISSED]", text, detail))
    for k in ("dtext", "djson", "dzk", "dtext_d", "djson_d", "dzk_d"):
        target("dump (%s) >= 50x faster than TxnLogToolkit" % k, round(rat("tlt", k), 1) >= 50, "%.1fx" % rat("tlt", k))
    for k in ("d1text", "d1json", "d1text_d", "d1json_d"):
        target("dump one log (%s) >= 50x faster than TxnLogToolkit" % k, round(rat("tlt1", k), 1) >= 50,
               "%.1fx" % rat("tlt1", k))
    for k in ("verify", "verifynr", "verifylogs"):
        target("verify (%s) >= 1 GB/s of payload" % k, round(gbps(k), 2) >= 1, "%.2f GB/s" % gbps(k))
    for k in ("stext", "sjson", "szk"):
        target("snapshot dump (%s) >= 20x faster than SnapshotFormatter" % k, round(rat("sf", k), 1) >= 20,
               "%.1fx" % rat("sf", k))
    for k in ("dtext", "djson", "dzk", "stext", "sjson", "szk", "verify", "verifynr", "verifylogs", "dtext_d",
              "djson_d", "dzk_d", "verify_d", "stats_d", "d1text_d", "d1json_d"):
        target("peak RSS (%s) <= 64 MB" % k, round(m.rss_mb(k), 1) <= 64, "%.1f MB" % m.rss_mb(k))
    print("  %d met, %d missed" % tuple(tally))


if __name__ == "__main__":
    run(main)
