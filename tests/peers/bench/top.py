"""Benchmark (not a test): what `zabra top` costs in CPU when it polls 50
servers at a 1 s interval.

    python3 -m tests.peers.bench.top [--servers N] [--seconds S] [--no-tmux] [-k]

--servers fake four-letter-word servers (default 50; top_servers.py: ZooKeeper
3.8 srvr and mntr replies) run in one asyncio process, a Proc, on ports from
the harness's free_ports.  Then, one after the other, for the default (srvr
+ mntr) and for --no-mntr:
  batch        `zabra top --interval 1 --count S --json` (stdout to a file)
  interactive  `zabra top --interval 1` in a detached tmux session (160x40,
               TERM=xterm-256color; the tmux server is a Proc) for S s, then q
zabra's CPU time is read from /proc/<pid>/stat (utime + stime, in clock
ticks): batch at its exit (the zombie, before it is reaped, still holds the
totals; getrusage of the child is printed beside it as a check),
interactive at start and after S seconds.  Reported: CPU seconds, % of one
core over the wall time, CPU ms per poll of the servers, and what the
samples showed (how many rows answered, any timeout), plus the fake
servers' own CPU and the bytes they sent.  -k keeps the work dir.  Takes
about 4 S seconds; exit 0 when done, 77 when zabra is missing.

Environment: ZABRA (default <repo>/build/tools/zabra).
"""
import argparse
import json
import os
import re
import resource
import shutil
import sys
import time

from .. import Proc, WorkDir, free_ports, run, skip_unless, wait_until
from ..skip import REPO
from .timing import TCK, capture, cpu_ticks, machine, zabra_binary


def run_batch(zabra, hosts, seconds, mntr, work, out):
    argv = [zabra, "top", "--interval", "1", "--count", seconds, "--json"] + ([] if mntr else ["--no-mntr"]) + [hosts]
    proc = Proc(argv, "top-batch", os.path.join(work.path, "top-batch.err"), stdout=out)
    t0 = time.monotonic()
    proc.start()
    # wait without reaping, read the zombie's totals, then reap (rusage as a check)
    proc.wait(seconds + 120, reap=False, interval=0.01)
    wall = time.monotonic() - t0
    ut, st = cpu_ticks(proc.pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc = proc.wait(30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rusage = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "utime": ut / TCK, "stime": st / TCK, "rusage": rusage, "rc": rc}


class Tmux:
    """A tmux server of our own (a Proc in the foreground: tmux -D) on a
    socket in the work dir; commands are short-lived clients."""

    def __init__(self, work, tag="tmux"):
        self.work = work
        self.tag = tag
        self.sock = os.path.join(work.path, "tmux.sock")
        self.base = ["tmux", "-S", self.sock, "-f", "/dev/null"]
        self.server = Proc(self.base + ["-D"], tag + "-server", os.path.join(work.path, tag + "-server.log"))
        self.n = 0

    def start(self):
        self.server.start()
        wait_until(lambda: self.server.check_alive() and os.path.exists(self.sock), 30, "the tmux server's socket")
        return self

    def cmd(self, *args, check=True):
        self.n += 1
        return capture(self.base + list(args), "%s-%d" % (self.tag, self.n), self.work, timeout=30, check=check)

    def close(self):
        if self.server.running:
            self.cmd("kill-server", check=False)
            self.server.stop(10)


def exited(pid):
    """True when the process is gone or a zombie (tmux -D may reap its pane late)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def run_tmux(zabra, hosts, seconds, mntr, work, screen_file):
    tmux = Tmux(work, "tmux-%s" % ("mntr" if mntr else "no-mntr")).start()
    try:
        cmd = "exec env TERM=xterm-256color '%s' top --interval 1 %s'%s'" % (zabra, "" if mntr else "--no-mntr ", hosts)
        t0 = time.monotonic()
        tmux.cmd("new-session", "-d", "-s", "bench", "-x", "160", "-y", "40", cmd)
        pid = int(tmux.cmd("display", "-p", "-t", "bench", "#{pane_pid}"))

        def comm():
            with open("/proc/%d/comm" % pid) as f:
                return f.read().strip() == "zabra"
        wait_until(comm, 10, "the tmux pane to exec zabra", interval=0.01)
        ut0, st0 = cpu_ticks(pid)
        t_start = time.monotonic()
        time.sleep(max(0.0, seconds - (t_start - t0)))
        ut1, st1 = cpu_ticks(pid)
        wall = time.monotonic() - t_start
        screen = tmux.cmd("capture-pane", "-p", "-t", "bench")
        with open(screen_file, "w") as f:
            f.write(screen)
        tmux.cmd("send-keys", "-t", "bench", "q")
        try:
            wait_until(lambda: exited(pid), 5, "zabra top to quit on q", interval=0.05)
            quit_ok = True
        except TimeoutError:
            quit_ok = False
    finally:
        tmux.close()
    return {"wall": wall, "utime": (ut1 - ut0) / TCK, "stime": (st1 - st0) / TCK, "start_ticks": ut0 + st0,
            "screen": screen, "quit_ok": quit_ok}


def bench(zabra, hosts, seconds, tmux, work):
    n = len(hosts.split(","))
    results = []
    for mntr in (True, False):
        tag = "mntr" if mntr else "no-mntr"
        print("batch, %s: zabra top --interval 1 --count %d --json%s (%d servers) ..."
              % (tag, seconds, "" if mntr else " --no-mntr", n), flush=True)
        out = os.path.join(work.path, "batch-%s.jsonl" % tag)
        r = run_batch(zabra, hosts, seconds, mntr, work, out)
        samples = [json.loads(line) for line in open(out) if line.strip()]
        states = {}
        for rows in samples:
            for row in rows:
                states[row["state"]] = states.get(row["state"], 0) + 1
        r.update(mode="batch", mntr=mntr, samples=len(samples), states=states,
                 rows_ok=all(len(rows) == n for rows in samples))
        results.append(r)
        if tmux:
            print("interactive (tmux), %s: zabra top --interval 1%s for %d s ..."
                  % (tag, "" if mntr else " --no-mntr", seconds), flush=True)
            t = run_tmux(zabra, hosts, seconds, mntr, work, os.path.join(work.path, "tmux-%s.txt" % tag))
            states = {}
            for line in t["screen"].splitlines():
                m = re.match(r"127\.0\.0\.1:\d+ +(\S+) ", line)
                if m:
                    states[m.group(1)] = states.get(m.group(1), 0) + 1
            t.update(mode="interactive", mntr=mntr, samples=None, states=states)
            results.append(t)
    print()
    print("zabra top, %d fake 3.8 servers on 127.0.0.1, --interval 1, %d s per run; CPU from /proc/<pid>/stat "
          "(utime+stime, %d ticks/s)" % (n, seconds, TCK))
    print()
    print("%-12s %-9s %7s %8s %7s %7s %8s %8s  %s" % ("mode", "words", "wall_s", "cpu_s", "user_s", "sys_s",
                                                   "%core", "ms/poll", "rows seen"))
    for r in results:
        cpu = r["utime"] + r["stime"]
        polls = r["samples"] if r["samples"] else r["wall"]     # interactive: one poll a second
        seen = " ".join("%s=%d" % kv for kv in sorted(r["states"].items()))
        if r["mode"] == "batch":
            extra = "; %d samples, exit %d, getrusage %.2f s" % (r["samples"], r["rc"], r["rusage"])
            if not r["rows_ok"]:
                extra += ", SOME SAMPLES WITHOUT ALL ROWS"
        else:
            extra = "; on the screen at the end%s" % ("" if r["quit_ok"] else ", DID NOT QUIT ON q")
        print("%-12s %-9s %7.1f %8.2f %7.2f %7.2f %7.2f%% %8.2f  %s%s"
              % (r["mode"], "srvr+mntr" if r["mntr"] else "srvr", r["wall"], cpu, r["utime"], r["stime"],
                 100 * cpu / r["wall"], 1000 * cpu / polls, seen, extra))
    with open(os.path.join(work.path, "results.json"), "w") as f:
        json.dump([{k: v for k, v in r.items() if k != "screen"} for r in results], f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--servers", type=int, default=50, help="fake servers (50)")
    ap.add_argument("--seconds", type=int, default=60, help="length of each run: --count S / S seconds in tmux (60)")
    ap.add_argument("--no-tmux", action="store_true", help="only the batch runs")
    ap.add_argument("-k", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    if args.servers < 1 or args.seconds < 2:
        ap.error("--servers needs at least 1, --seconds at least 2")
    skip_unless("zabra")
    os.environ.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC")
    zabra = zabra_binary()
    tmux = not args.no_tmux
    if tmux and not shutil.which("tmux"):
        print("bench-top: tmux is missing (apt-get install tmux): batch runs only", file=sys.stderr)
        tmux = False
    work = WorkDir("bench-top", keep=args.k)
    if args.k:
        print("bench-top: work dir kept: %s" % work.path, file=sys.stderr)

    print("bench-top: %s; zabra %s" % (machine(), zabra))
    print("bench-top: fake mntr reply: %s" % capture([sys.executable, "-m", "tests.peers.bench.top_servers",
                                                      "--mntr-size"], "mntr-size", work, check=True).strip())
    ports = free_ports(args.servers)
    ready = os.path.join(work.path, "ready")
    stats = os.path.join(work.path, "fake-stats.json")
    fake = Proc([sys.executable, "-m", "tests.peers.bench.top_servers", "--ports", ",".join(map(str, ports)),
                 "--ready", ready, "--stats", stats], "fake-servers", os.path.join(work.path, "fake.log"),
                cwd=REPO).start()
    hosts = wait_until(lambda: fake.check_alive() and os.path.exists(ready) and open(ready).read().strip(), 30,
                       "the fake servers to listen")
    print("bench-top: %d fake servers up (pid %d)" % (args.servers, fake.pid))
    c0 = sum(cpu_ticks(fake.pid))
    bench(zabra, hosts, args.seconds, tmux, work)
    c1 = sum(cpu_ticks(fake.pid))
    fake.stop(15)
    served = open(stats).read().strip() if os.path.exists(stats) else "?"
    print()
    print("fake servers: %.1f CPU s over the runs; served %s" % ((c1 - c0) / TCK, served))
    return 0


if __name__ == "__main__":
    run(main)
