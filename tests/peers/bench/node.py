"""Benchmark (not a test) of acknowledged write throughput: real Apache
ZooKeeper 3.8 standalone beside zabra-node, in one run.

    python3 -m tests.peers.bench.node [--writes N] [--warmup N] [--runs N]
        [--client raw|kazoo] [--procs N] [--conns N] [--inflight N]
        [--retries N] [--no-strace] [-k]

Both servers (the harness's ZooKeeperServer and ZabraNode: 127.0.0.1, free
ports, stopped by PID) get the same zoo.cfg (tickTime=2000, snapCount=100000,
default preAllocSize, fsync on: ZooKeeper's forceSync default "yes";
zabra-node always fdatasyncs a group of txns before replying), a fresh data
dir on a real disk for every run, and the same client and workload:
node_client.py creates --writes unique znodes with 100 bytes of data each
(default 100000), --conns sessions spread over --procs client processes,
--inflight creates outstanding per session (closed loop), after --warmup
creates that are not measured (default 50000: a fresh JVM needs that many
before ZooKeeper reaches its steady rate; both servers get them).  Its
default client speaks the ZooKeeper protocol directly with pipelined
requests (kazoo's create_async costs so much CPU per request that Python,
not the server, sets the pace: --client kazoo shows it).

Reported per server: writes/s (median of --runs runs; the servers alternate
in order), latency p50/p99/max (each the median over runs), fsyncs per txn
(mntr zk_cnt_fsynctime before/after the measured phase, over the txns in it
(srvr zxid delta)), server CPU per write, and the ratio zabra-node/ZooKeeper.
With strace installed, one extra run per server under `strace -f -c
--seccomp-bpf -e trace=fdatasync,fsync` counts every fsync of the server's
life (startup, snapshots, directories included) per txn; that run is not
timed.  The machine (nproc, CPU, the data dir's filesystem, its fdatasync
latency) is printed first; on a tmpfs /tmp (fsync is free there) the data
goes under /work/bench-node-tmp instead.

CPU: client and servers share this machine's cores.  A run waits (up to
BENCH_QUIET_WAIT seconds, default 120) for the machine to be idle before it
starts, is repeated (up to --retries times) when other processes took more
than 0.35 of a core meanwhile, and the summary warns when a client process
saturated a core (client bottleneck) or when all cores were busy.

-k keeps the work dir (configs, server logs, per-run JSON).  Exit status: 0
done (misbehaviour is reported, not fatal), 1 setup failure, 2 usage, 77 when
ZooKeeper or zabra-node is missing.  Environment: ZABRA_NODE, JAVA.
"""
import argparse
import json
import os
import shutil
import signal
import sys
import time

from .. import WorkDir, ZabraNode, ZooKeeperServer, four_letter, run, skip_unless, wait_until, zxid
from ..procs import Proc
from ..skip import REPO, binary
from ..workdir import sha256_file
from .node_report import other, summary
from .timing import capture, mount_of, package_version, say, which_java

NCPU = os.cpu_count()
CLIENT_TIMEOUT = 900.0


def cpu_sample():
    with open("/proc/stat") as f:
        cols = [int(x) for x in f.readline().split()[1:]]
    return cols[3] + cols[4], sum(cols[:8])


def busy_cores():
    """Cores busy over 1 s, all processes."""
    i1, t1 = cpu_sample()
    time.sleep(1)
    i2, t2 = cpu_sample()
    return (1 - (i2 - i1) / (t2 - t1)) * NCPU if t2 > t1 else 0.0


def wait_quiet(limit):
    """Waits (up to `limit` s) until under 0.3 cores are busy; returns the seconds waited."""
    waited = 0
    while True:
        b = busy_cores()
        if b < 0.3:
            return waited
        if waited >= limit:
            say("machine still busy (%.2f cores in use by others); running anyway" % b)
            return waited
        if waited == 0:
            say("waiting for the machine to be idle (%.2f cores busy)" % b)
        time.sleep(4)
        waited += 5


def fsync_probe_us(directory):
    p = os.path.join(directory, "fsync-probe")
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.ftruncate(fd, 4 << 20)
        blk = b"z" * 4096
        t = time.perf_counter()
        for i in range(300):
            os.pwrite(fd, blk, i * 4096)
            os.fdatasync(fd)
        return (time.perf_counter() - t) / 300 * 1e6
    finally:
        os.close(fd)
        os.unlink(p)


def log_problems(text, kind):
    """The number of suspicious server log lines."""
    lines = [line for line in text.splitlines() if not line.startswith("### ")]
    n = 0
    if kind == "zk":
        # WARN/ERROR lines, less the ones probes and the client's own close
        # after closeSession cause (EndOfStreamException: ... closed the
        # socket; an NPE closing a 4lw connection that arrived before the
        # database was loaded)
        i = 0
        while i < len(lines):
            w = lines[i]
            i += 1
            if " WARN " not in w and " ERROR " not in w:
                continue
            if "maxCnxns is not configured" in w or "Error closing a command socket" in w:
                continue
            nxt = lines[i] if i < len(lines) else ""
            i += 1          # the line after a WARN/ERROR is consumed with it (a stack trace's first line)
            if "Unexpected exception" in w and nxt.startswith("EndOfStreamException"):
                continue
            n += 1
        return n
    words = ("error", "fail", "too busy", "exception", "abort", "fatal", "refus")
    return sum(1 for line in lines if any(x in line.lower() for x in words))


def traced_child(proc):
    """The server under strace: the first child of the strace process."""
    def child():
        for task in os.listdir("/proc/%d/task" % proc.pid):
            kids = open("/proc/%d/task/%s/children" % (proc.pid, task)).read().split()
            if kids:
                return int(kids[0])
        return None
    return wait_until(lambda: proc.check_alive() and child(), 30, "the server under strace")


class Bench:
    def __init__(self, args, work, node_bin):
        self.a = args
        self.work = work
        self.node_bin = node_bin
        self.results = []
        self.traces = []
        self.quiet_wait = int(os.environ.get("BENCH_QUIET_WAIT", 120))

    def server(self, kind, name, trace):
        d = os.path.join(self.work.path, name)
        os.makedirs(d, exist_ok=True)
        opts = dict(name=name, workdir=self.work, tick_time=2000, snap_count=100000,
                    extra={"initLimit": 10, "syncLimit": 5}, start_timeout=120.0, stop_timeout=15.0,
                    wrapper=(["strace", "-f", "-c", "--seccomp-bpf", "-e", "trace=fdatasync,fsync", "-o",
                              os.path.join(d, "strace.txt"), "--"] if trace else None))
        if kind == "zk":
            # zkServer.sh's default heap (ZK_SERVER_HEAP=1000), the JVM's own GC choice
            return ZooKeeperServer(heap="1000m", jvm_opts=["-XX:-UseSerialGC"], **opts)
        return ZabraNode(binary_path=self.node_bin, **opts)

    def stop(self, srv, pid, trace):
        """SIGTERM to the server's PID; under strace, strace then ends with it."""
        if trace and srv.running:
            try:
                os.kill(pid, signal.SIGTERM)
                srv.proc.wait(25)
            except (ProcessLookupError, TimeoutError):
                pass
        srv.stop()

    def one_run(self, kind, run_no, attempt, trace):
        """Appends one result; returns (cores used by others, "N w/s")."""
        a = self.a
        name = "%s-%d-%d%s" % (kind, run_no, attempt, "-strace" if trace else "")
        waited = 0 if trace else wait_quiet(self.quiet_wait)
        srv = self.server(kind, name, trace)
        srv.start()
        pid = traced_child(srv.proc) if trace else srv.pid
        d = srv.dir
        client = Proc([sys.executable, "-m", "tests.peers.bench.node_client", "--server", srv.hostport,
                       "--server-pid", pid, "--mode", a.client, "--writes", a.writes, "--warmup", a.warmup,
                       "--procs", a.procs, "--conns", a.conns, "--inflight", a.inflight],
                      "client-" + name, os.path.join(d, "client.stderr"), stdout=os.path.join(d, "client.json"),
                      cwd=REPO).start()
        try:
            rc = client.wait(CLIENT_TIMEOUT)
        except TimeoutError:
            client.kill()
            rc = 124
        out = open(os.path.join(d, "client.json")).read().strip()
        alive = srv.running
        total_zxid = total_fsyncs = None
        if alive:
            total_zxid = zxid(srv.hostport)
            try:
                for line in four_letter(srv.hostport, "mntr").splitlines():
                    if line.split("\t")[0] == "zk_cnt_fsynctime":
                        total_fsyncs = int(line.split("\t")[1])
            except OSError:
                pass
        self.stop(srv, pid, trace)
        problems = log_problems(srv.proc.log_text(), kind)
        if rc != 0 or not out:
            say("%s: client failed (status %s): %s" % (name, rc, " ".join(client.log_tail(3).splitlines())))
            res = {"acked": 0, "client_failed": True}
        else:
            res = json.loads(out.splitlines()[-1])
        res.update(server=kind, run=run_no, attempt=attempt, alive=alive, log_problems=problems, waited_s=waited,
                   dir=d, client_rc=rc)
        if trace:
            calls = {"fdatasync": 0, "fsync": 0}
            try:
                for line in open(os.path.join(d, "strace.txt")):
                    f = line.split()
                    if f and f[-1] in calls:
                        calls[f[-1]] = int(f[3])
            except (OSError, ValueError, IndexError):
                pass
            res.update(strace_calls=sum(calls.values()), strace_fdatasync=calls["fdatasync"],
                       strace_fsync=calls["fsync"], total_zxid=total_zxid or 0, total_mntr_fsyncs=total_fsyncs or 0)
            self.traces.append(res)
        else:
            self.results.append(res)
        with open(os.path.join(self.work.path, "strace.jsonl" if trace else "results.jsonl"), "a") as f:
            f.write(json.dumps(res) + "\n")
        if kind == "node" and not alive:
            say("%s: zabra-node DIED (log: %s)" % (name, srv.log))
        if not res.get("sample_wall_s") or res.get("server_cpu_s") is None:
            return 0.0, "-"
        return other(res, NCPU), "%.0f w/s" % res["wps"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writes", type=int, default=100000, help="measured creates per run (100000)")
    ap.add_argument("--warmup", type=int, default=50000, help="unmeasured creates before them (50000)")
    ap.add_argument("--runs", type=int, default=3, help="runs per server (3)")
    ap.add_argument("--client", choices=("raw", "kazoo"), default="raw", help="the client (raw)")
    ap.add_argument("--procs", type=int, default=2, help="client processes (2)")
    ap.add_argument("--conns", type=int, default=8, help="sessions in all (8)")
    ap.add_argument("--inflight", type=int, default=32, help="outstanding creates per session (32)")
    ap.add_argument("--retries", type=int, default=2, help="repeats of a run other processes disturbed (2)")
    ap.add_argument("--no-strace", action="store_true", help="no extra strace run")
    ap.add_argument("-k", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    if args.writes < 1 or args.warmup < 0 or args.runs < 1 or args.procs < 1 or args.conns < 1 \
            or args.inflight < 1 or args.retries < 0:
        ap.error("counts must be positive")
    skip_unless("zookeeper", "zabra-node", *(["kazoo"] if args.client == "kazoo" else []))
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    tmp_fs = mount_of("/tmp")[0]
    base = None
    if tmp_fs in ("tmpfs", "ramfs"):
        base = "/work/bench-node-tmp"
        os.makedirs(base, exist_ok=True)
    work = WorkDir("bench-node", keep=args.k, parent=base)
    node_src = binary("zabra-node")
    node_bin = os.path.join(work.path, "zabra-node")      # a private copy: the build tree may change meanwhile
    shutil.copy2(node_src, node_bin)
    zk_version = package_version("zookeeper").rsplit("-", 1)[0] or "3.8"

    fstype, dev, opts = mount_of(work.path)
    data_fs = "%s %s %s" % (fstype, dev, opts)
    wcache = ""
    if dev.startswith("/dev/"):
        blk = os.path.basename(os.path.realpath(dev))
        for q in ("/sys/class/block/%s/queue/write_cache" % blk, "/sys/class/block/%s/../queue/write_cache" % blk):
            if os.access(q, os.R_OK):
                wcache = open(q).read().strip()
                break
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "?")
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    java_version = capture([which_java(), "-version"], "java-version", work, stderr=True).splitlines()[0]
    print("== bench-node: acknowledged writes, ZooKeeper %s standalone vs zabra-node" % zk_version)
    print("machine:    %d CPUs (%s), %.0f GiB RAM, Linux %s" % (NCPU, model, mem / 1048576, os.uname().release))
    print("/tmp:       %s%s" % (tmp_fs, " (fsync is free there: data dirs moved to /work/bench-node-tmp)" if base
                                else " (not tmpfs)"))
    print("data dirs:  %s on %s%s" % (work.path, data_fs, ", device write cache: " + wcache if wcache else ""))
    print("fdatasync:  %.0f us per 4 KiB write+fdatasync (single thread, 300 samples)" % fsync_probe_us(work.path))
    print("java:       %s" % java_version)
    print("zabra-node: %s (%s, sha256 %s)" % (node_src, time.strftime("%Y-%m-%d %H:%M:%S",
                                                                      time.localtime(os.path.getmtime(node_src))),
                                            sha256_file(node_bin)[:12]))
    print("config:     tickTime=2000 snapCount=100000 preAllocSize=default (64 MiB) forceSync=default (yes)")
    print("workload:   %d creates of unique paths, 100 B data each (after %d unmeasured), %d sessions x %d in flight,"
          " %d client processes, client=%s; %d runs per server, fresh data dir each" % (
              args.writes, args.warmup, args.conns, args.inflight, args.procs, args.client, args.runs))
    print(flush=True)

    b = Bench(args, work, node_bin)
    for r in range(1, args.runs + 1):
        for kind in (("zk", "node") if r % 2 else ("node", "zk")):      # the servers alternate which goes first
            for attempt in range(args.retries + 1):
                other, rate = b.one_run(kind, r, attempt, False)
                say("run %d %s attempt %d: %s, other load %.2f cores" % (r, kind, attempt, rate, other))
                if other <= 0.35:
                    break
                if attempt < args.retries:
                    say("  other processes were busy: repeating this run")
    if not args.no_strace and shutil.which("strace"):
        for kind in ("zk", "node"):
            _, rate = b.one_run(kind, 0, 0, True)
            say("strace run %s: %s (slowed by strace, not reported as throughput)" % (kind, rate))
    print()
    summary(b.results, b.traces, NCPU, zk_version)
    return 0


if __name__ == "__main__":
    run(main)
