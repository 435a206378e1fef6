"""Benchmark (not a test): zabra beside etcd's own etcd-dump-logs on full etcd
WAL segments, in one run.

    python3 -m tests.peers.bench.etcd [--regen] [--runs N] [--segments N] [--data DIR]

1. Data sets, written by <build>/tests/zabra_make_etcd_segment
   (tests/bench/make_etcd_segment.cpp: records encoded as etcd 3.4 writes
   them; InternalRaftRequest puts with 16-40 byte keys and 100-1000 byte
   values, each followed by a HardState, a snapshot record every 10,000
   entries): ONE = a member dir with one full 64,000,000-byte segment, MANY =
   one with --segments such segments (default 4; memory should not grow with
   input size).  Cached in --data and reused; --regen makes them again.
2. Times (median wall time of --runs runs, output to /dev/null; peak RSS
   from GNU time) zabra verify / dump --format json / dump (text) / stats and
   etcd-dump-logs -start-index 0 (when ETCD_DUMP_LOGS names a binary: Debian
   ships neither the tool nor its source, so its rows are left out otherwise)
   on both dirs; prints a table with MB/s of WAL bytes (the segment files'
   sizes) and the ratios etcd-dump-logs / zabra.  Exits 0 once it has
   measured; 77 when zabra, the generator or GNU time is missing.

Environment: BENCH_DATA (the default of --data: /tmp/zabra-bench-etcd), RUNS
(3), ZABRA (<repo>/build/tools/zabra), BUILD_DIR (build: where the generator
is; cmake --build build --target zabra_make_etcd_segment builds it; a Release
build is expected), ETCD_DUMP_LOGS (an etcd-dump-logs 3.4 binary to measure
beside zabra).
"""
import argparse
import glob
import hashlib
import os
import shutil
import time

from .. import WorkDir, run
from ..skip import REPO
from .timing import (T0, Measurements, Timer, build_type, capture, git_commit, machine, ratio, read_info, require,
                     say, write_info, zabra_binary)

SEED = 1
LABELS = {"verify": "zabra verify", "djson": "zabra dump --format json", "dtext": "zabra dump",
          "stats": "zabra stats", "edl": "etcd-dump-logs"}


def wal_bytes(member):
    return sum(os.path.getsize(f) for f in glob.glob(os.path.join(member, "member", "wal", "*.wal")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regen", action="store_true", help="make new data sets even when the cached ones fit")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 3)), help="runs per tool (median)")
    ap.add_argument("--segments", type=int, default=4, help="64 MB segments in the larger data set (default 4)")
    ap.add_argument("--data", default=os.environ.get("BENCH_DATA", "/tmp/zabra-bench-etcd"),
                    help="the cached data sets (default $BENCH_DATA or /tmp/zabra-bench-etcd)")
    args = ap.parse_args()
    if args.segments < 1 or args.runs < 1:
        ap.error("--segments and --runs need at least 1")
    gen, = require("zabra_make_etcd_segment")
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    zabra = zabra_binary()
    edl = os.environ.get("ETCD_DUMP_LOGS") or None
    edl_note = ""
    if edl and not os.access(edl, os.X_OK):
        raise SystemExit("bench-etcd: ETCD_DUMP_LOGS=%s is not executable" % edl)
    if not edl:
        edl_note = "ETCD_DUMP_LOGS is not set (Debian ships neither etcd-dump-logs nor its source)"
        say("etcd-dump-logs unavailable, its rows are left out: %s" % edl_note)

    data, n = args.data, args.segments
    many_name = "four" if n == 4 else "segments-%d" % n
    generator_hash = hashlib.sha256(open(os.path.join(REPO, "tests/bench/make_etcd_segment.cpp"), "rb").read())
    params = "generator=%s seed=%d sets=one:1,%s:%d" % (generator_hash.hexdigest()[:16], SEED, many_name, n)
    sets = [("one", os.path.join(data, "one"), "1 segment"),
            ("four", os.path.join(data, many_name), "%d segment%s" % (n, "s" if n > 1 else ""))]
    work = WorkDir("bench-etcd-meas")
    if not args.regen and read_info(data, "params") == params and all(
            os.path.isdir(os.path.join(d, "member", "wal")) for _, d, _ in sets):
        say("reusing the data sets in %s (%s); --regen makes new ones" % (data, read_info(data, "generated")))
    else:
        say("generating the data sets in %s" % data)
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        for key, d, _ in sets:
            out = capture([gen, d, "--seed", SEED] + (["--segments", n] if key != "one" else []), "gen-" + key, work,
                          check=True)
            print("    " + (out.strip().splitlines() or [""])[-1])
        write_info(data, params)

    sizes = {key: wal_bytes(d) for key, d, _ in sets}
    summary = {}
    for key, d, _ in sets:      # zabra verify's summary line (segments, records, entries)
        lines = [l for l in capture([zabra, "verify", d], "summary-" + key, work, stderr=True).splitlines()
                 if l.startswith("etcd:")]
        summary[key] = lines[0][len("etcd: "):] if lines else ""

    m = Measurements(Timer(work), runs=args.runs)
    say("benchmark: %d runs each, output to /dev/null" % args.runs)
    for key, d, input_label in sets:
        b = sizes[key]
        m.measure("verify_" + key, "zabra verify", [zabra, "verify", d], b, input=input_label)
        m.measure("djson_" + key, "zabra dump --format json", [zabra, "dump", "--format", "json", d], b,
                  input=input_label)
        m.measure("dtext_" + key, "zabra dump", [zabra, "dump", d], b, input=input_label)
        m.measure("stats_" + key, "zabra stats", [zabra, "stats", d], b, input=input_label)
        if edl:
            m.measure("edl_" + key, "etcd-dump-logs -start-index 0", [edl, "-start-index", "0", d], b,
                      input=input_label)

    print()
    print("== zabra vs etcd-dump-logs on etcd WAL segments")
    print("machine:        %s" % machine())
    print("zabra:          %s, %s build" % (git_commit(short=True), build_type(zabra)))
    if edl:
        stamp = edl + ".stamp"
        origin = open(stamp).read().strip() if os.path.exists(stamp) else "ETCD_DUMP_LOGS"
        print("etcd-dump-logs: %s (%s)" % (edl, origin))
    else:
        print("etcd-dump-logs: not measured: %s" % edl_note)
    print("data:           %s (%s)" % (data, read_info(data, "generated")))
    for key, _, input_label in sets:
        print("  %-13s %.1f MB of WAL; %s" % (input_label + ":", sizes[key] / 1e6, summary[key]))
    print()
    line = "%-32s %-11s %9s %9s %9s  %s"
    print(line % ("tool", "input", "wall (s)", "RSS (MB)", "MB/s", "runs"))
    print("-" * 88)
    prev = None
    for r in m.rows:
        which = r["key"].rsplit("_", 1)[1]
        if prev and which != prev:
            print()
        prev = which
        print(line % (r["label"], r["input"], "%.3f" % r["wall"], "%.1f" % r["rss_mb"],
                      "%.0f" % r["mbps"] if r["mbps"] else "-", r["note"]))
    print()
    print("memory vs input size (peak RSS, %s / 1 segment; 1.0 = flat):" % sets[1][2])
    for k in ("verify", "djson", "dtext", "stats", "edl"):
        if m.rss_mb(k + "_one") is not None:
            print("  %-30s %7.1f MB -> %7.1f MB  %5.1fx" % (LABELS[k], m.rss_mb(k + "_one"), m.rss_mb(k + "_four"),
                                                         ratio(m.rss_mb(k + "_four"), m.rss_mb(k + "_one"))))
    if edl:
        print()
        print("etcd-dump-logs / zabra (wall time, peak RSS; > 1 = zabra faster / smaller):")
        for key, _, input_label in sets:
            for k in ("dtext", "djson", "verify", "stats"):
                print("  %-11s vs %-26s time %6.1fx   RSS %6.1fx" % (
                    input_label, LABELS[k], ratio(m.wall("edl_" + key), m.wall(k + "_" + key)),
                    ratio(m.rss_mb("edl_" + key), m.rss_mb(k + "_" + key))))
    print()
    say("done in %d s" % (time.monotonic() - T0))
    return 0


if __name__ == "__main__":
    run(main)
