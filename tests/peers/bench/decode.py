"""Benchmark (not a test): txn-log decode throughput, and zabra dump beside
ZooKeeper's own TxnLogToolkit on the same log, in one run.

    python3 -m tests.peers.bench.decode [PAYLOAD_MB] [--log-mb N]

PAYLOAD_MB (default 256): the payload of <build>/tests/zabra_bench_decode's
micro-benchmark (over tests/fixtures/zk, 5 runs).  Then a log of --log-mb
MiB of payload (default 32) made by the same tool is dumped by zabra
(--format json and zk) and by TxnLogToolkit -d (median of 3 runs each, output
to /dev/null, through the harness's Proc), and the ratios printed.
TxnLogToolkit runs only when Debian's zookeeper package is installed.
Exit 77 when zabra, zabra_bench_decode or GNU time is missing.

Environment: ZABRA (<repo>/build/tools/zabra), BUILD_DIR (build: where
zabra_bench_decode is; cmake --build build --target zabra_bench_decode
builds it; a Release build is expected), JAVA.
"""
import argparse
import os

from .. import WorkDir, missing, run
from ..skip import REPO
from .timing import Measurements, Timer, capture, ratio, require, zabra_binary, zk_tool


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("payload_mb", nargs="?", type=int, default=256, metavar="PAYLOAD_MB",
                    help="MiB of payload for the micro-benchmark (default 256)")
    ap.add_argument("--log-mb", type=int, default=32, help="MiB of payload in the side-by-side log (default 32)")
    args = ap.parse_args()
    if args.payload_mb < 1 or args.log_mb < 1:
        ap.error("sizes are at least 1 MiB")
    tool, = require("zabra_bench_decode")
    zabra = zabra_binary()
    work = WorkDir("bench-decode")
    fixtures = os.path.join(REPO, "tests", "fixtures", "zk")

    print("== libformat micro-benchmark (%d MiB of payload)" % args.payload_mb, flush=True)
    print(capture([tool, fixtures, "--mb", args.payload_mb, "--runs", 5], "micro", work, check=True), end="")

    print()
    print("== zabra dump vs ZooKeeper TxnLogToolkit -d on the same %d MiB log (median of 3, output to /dev/null)"
          % args.log_mb, flush=True)
    log = os.path.join(work.path, "log.100000001")
    capture([tool, fixtures, "--mb", args.log_mb, "--runs", 1, "--out", log], "make-log", work, check=True)
    size = os.path.getsize(log)
    m = Measurements(Timer(work), runs=3)
    rows = [m.measure("zj", "zabra dump --format json", [zabra, "dump", "--format", "json", log]),
            m.measure("zk", "zabra dump --format zk", [zabra, "dump", "--format", "zk", log])]
    if not missing("zookeeper"):
        rows.append(m.measure("tk", "ZooKeeper TxnLogToolkit -d", zk_tool("persistence.TxnLogToolkit", "-d", log)))
    for r in rows:
        print("%-34s %8.3f s  %8.1f MB/s of file%s" % (r["label"], r["wall"], size / 1048576 / r["wall"],
                                                       "  (exit %d)" % r["rc"] if r["rc"] else ""))
    if m.wall("tk"):
        for k, label in (("zk", "zabra dump --format zk"), ("zj", "zabra dump --format json")):
            print("ratio %-44s %6.1fx" % ("TxnLogToolkit time / %s:" % label, ratio(m.wall("tk"), m.wall(k))))
    else:
        print("(ZooKeeper not installed: no TxnLogToolkit comparison; apt-get install zookeeper)")
    return 0


if __name__ == "__main__":
    run(main)
