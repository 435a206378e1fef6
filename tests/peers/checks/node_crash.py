"""node-crash-test: zabra-node keeps every acknowledged write across kill -9.

ROUNDS times in a row on the SAME data dir, zabra-node is killed with SIGKILL
while a load of concurrent writes is in flight, and after each restart every
write the server had acknowledged is still there.  Also: the data dir stays
sound for ZooKeeper's rules (`zabra verify` after every kill), txn log files
keep the preallocated size ZooKeeper gives them (16 + k x preAllocSize bytes,
k >= 1), and snapshots / log rolls happen every snapCount/2..snapCount txns.

One zabra-node (snapCount=500, preAllocSize=64 KB, tickTime=1000, so
snapshots, log rolls and purges happen during the test).  Each round:
  1. node_crash_load load: 4 kazoo clients x 16 async writes in flight; every
     acknowledged write goes to a journal that is fsynced before the write
     is counted;
  2. after a random 0.3-2 s: SIGKILL of the server (writes in flight);
  3. `zabra verify --json` on the stopped data dir: a torn tail in the newest
     log is expected, any other warning or error fails; every log file's size
     is checked (zabra-node purges old files, so they are listed after every
     kill);
  3b. on odd rounds, a record cut short is written after the newest log's
     last record (a torn write, as a power cut leaves it; kill -9 alone keeps
     the page cache): the restart must report cutting it;
  4. restart (recovery time: start until srvr answers), and node_crash_load
     check: every acknowledged create / delete / hot-node set of all rounds so
     far, this round's ephemerals (with their session as owner), no node no
     one tried to create.
At the end: all ephemerals gone after the session timeout, SIGTERM, a clean
`zabra verify`, one more restart + check, the log sizes, and the snapshot /
log-roll intervals taken from the server logs.

    python3 -m tests.peers.checks.node_crash [-k] [ROUNDS]     (ROUNDS: 20)

Environment: CRASH_SEED (random delays and load; default random, printed),
CRASH_CLIENTS (4), CRASH_WINDOW (16); ZABRA_NODE=zk runs Debian's ZooKeeper
3.8 instead: a check of this check (no acknowledged write may be lost) and a
reference for the log sizes; ZooKeeper then fails the verify check (it writes
snapshots in place, so a kill leaves truncated ones) and the snapshot
interval check (it names a snapshot after the zxid it had applied, which lags
its log).  Exit 0 passed, 1 failed (reasons at the end), 2 usage, 77 a peer
missing.
"""
import argparse
import json
import os
import random
import re
import time
import traceback

from tests.peers import (Proc, WorkDir, binary, free_port, node_under_test, run, run_command, skip_unless,
                         wait_until, zookeeper_stands_in)
from tests.peers.checks.node_crash_files import classify, intervals, tear_newest_log

SNAP_COUNT = 500
PREALLOC_KB = 64
TICK_MS = 1000
SESSION_TIMEOUT_S = 10          # the load clients' (negotiated: within 2..20 ticks)
NOTABLE = re.compile(r"skipping snapshot|damaged|too busy|FATAL|failed|cannot|refusing")
LEGEND = """
acked: writes acknowledged in the round (journal fsynced); total: over all rounds; unackd: writes
sent but not acknowledged when the server died; load_s: seconds of load before the kill; recov_s:
restart until the server serves; replayed: txns replayed at the restart; torn: "torn tail" lines at
the restart; snaps / purge: snapshots written / files purged by the killed run; checked: creates +
deletes (all rounds) + ephemerals (this round) checked after the restart, and the seconds it took;
verify: `zabra verify` exit status and findings on the data dir right after the kill.
"""


class Fatal(Exception):
    """The test cannot go on."""


class CrashTest:
    def __init__(self, work, rounds, seed, clients, window):
        self.work, self.rounds, self.seed, self.clients, self.window = work, rounds, seed, clients, window
        self.rng = random.Random(seed)
        self.data_dir = work.sub("data")
        self.version2 = os.path.join(self.data_dir, "version-2")
        self.journal = work.file("journal.jsonl")
        self.port = free_port()
        self.is_zk = zookeeper_stands_in()
        # what the server logs when it writes a snapshot / purges a file
        self.snap_re = re.compile(r"Snapshotting: 0x" if self.is_zk else r"snapshot snapshot\.[0-9a-f]* written")
        self.purge_re = re.compile(r"^$x" if self.is_zk else r"purged ")
        self.failures = []
        self.runs = []              # the server of each run (start), in order
        self.server = None
        self.recovery = None
        self.size_bad = {}          # log name -> why its size is wrong
        self.log_sizes = {}         # log name -> last size seen
        self.log_names = set()
        self.t0 = time.monotonic()

    def say(self, text):
        print("[%7.3fs] %s" % (time.monotonic() - self.t0, text), flush=True)

    def fail(self, text):
        self.failures.append(text)
        print("node-crash-test: FAIL: " + text, flush=True)

    # -- the server ------------------------------------------------------------
    def start(self):
        """A new run on the same data dir and port (each run has its own log)."""
        opts = dict(heap="512m") if self.is_zk else {}
        self.server = node_under_test(name="node", workdir=self.work, client_port=self.port, data_dir=self.data_dir,
                                      log_file=self.work.file("server-%d.log" % len(self.runs)), tick_time=TICK_MS,
                                      snap_count=SNAP_COUNT, prealloc_kb=PREALLOC_KB, start_timeout=60,
                                      stop_timeout=30, **opts)
        self.runs.append(self.server)
        t = time.monotonic()
        self.server.start()
        self.recovery = time.monotonic() - t

    def stop_term(self):
        rc = self.server.stop()
        if rc == -9:
            self.fail("zabra-node did not stop within 30 s of SIGTERM; killed")
        elif not (rc == 0 or (rc in (143, -15) and self.is_zk)):
            self.fail("zabra-node exited with status %s after SIGTERM (log %s)" % (rc, self.server.log))

    def log_of(self, server):
        return server.proc.log_text()

    # -- the checks on the stopped data dir --------------------------------------
    def check_sizes(self, when):
        """Every log file must be 16 + k * preAllocSize bytes, k >= 1."""
        unit = PREALLOC_KB * 1024
        for name in sorted(os.listdir(self.version2)):
            if not name.startswith("log."):
                continue
            size = os.path.getsize(os.path.join(self.version2, name))
            self.log_names.add(name)
            self.log_sizes[name] = size
            if (size < 16 + unit or (size - 16) % unit != 0) and name not in self.size_bad:
                self.size_bad[name] = "%s: %d bytes = 16 + %d x %d + %d (%s)" % (
                    name, size, (size - 16) // unit, unit, (size - 16) % unit, when)

    def verify(self, tag, final=False):
        """zabra verify --json on the stopped data dir; returns (status, note)."""
        rc, out = run_command([binary("zabra"), "verify", "--json", self.data_dir], "verify-" + tag,
                              self.work.file("verify-%s.log" % tag), 300)
        lines, unexpected = classify(out, self.version2, final)
        with open(self.work.file("verify-%s.txt" % tag), "w") as f:
            f.write("\n".join(lines) + "\n")
        counts = {}
        for line in lines:
            m = re.match(r"^(expected|UNEXPECTED) [a-z]+ ([a-z-]+) ([^ ]+) ", line)
            if m:
                key = "%s:%s:%s" % m.groups()
                counts[key] = counts.get(key, 0) + 1
        note = ",".join("%s(x%d)" % kv for kv in sorted(counts.items())) or "clean"
        if unexpected:
            self.fail("%s: zabra verify (exit %s) reports unexpected findings: %s"
                      % (tag, rc, ";".join([l for l in lines if "UNEXPECTED" in l][:5])))
        if rc & 4 or rc & 8:
            self.fail("%s: zabra verify exit status %s (errors or unreadable input); see %s"
                      % (tag, rc, self.work.file("verify-%s.log" % tag)))
        summary = next((l for l in lines if l.startswith("summary:")), "")
        return rc, note, summary

    def check_data(self, *args):
        """node_crash_load check; returns its JSON summary ({} when it has none)."""
        n = len(self.runs) - 1
        rc, out = run_command(["/usr/bin/python3", "-m", "tests.peers.checks.node_crash_load", "check",
                               self.server.hostport, self.journal] + list(args),
                              "check-%d" % n, self.work.file("check-%d.log" % n), 600)
        if rc != 0:
            self.fail("run %d: the data check failed (exit %s): %s"
                      % (n, rc, ";".join(l for l in out.splitlines() if not l.startswith("{"))[:1500]))
        return last_json(out)

    # -- one round ----------------------------------------------------------------
    def round(self, r, total):
        killed = self.server
        load = Proc(["/usr/bin/python3", "-m", "tests.peers.checks.node_crash_load", "load", killed.hostport,
                     self.journal, "--round", r, "--clients", self.clients, "--window", self.window,
                     "--session-timeout", SESSION_TIMEOUT_S, "--seed", self.seed + r],
                    "load-%d" % r, self.work.file("load-%d.log" % r)).start()

        def started():
            return "LOAD-STARTED" in load.log_text() or load.check_alive() and None
        wait_until(started, 60, "round %d: the load generator to start (log %s)" % (r, load.log))
        time.sleep(self.rng.randint(300, 2000) / 1000.0)     # the writes in flight when the server dies
        if not killed.running:
            raise Fatal("round %d: zabra-node died on its own during the load (log %s):\n%s"
                               % (r, killed.log, killed.proc.log_tail(20)))
        killed.kill()
        try:
            lrc = load.wait(30)
        except TimeoutError:
            load.kill()
            self.fail("round %d: the load generator did not finish within 30 s of the kill" % r)
            lrc = None
        summary = last_json(load.log_text())
        if lrc != 0 or not summary:
            raise Fatal("round %d: the load generator failed (exit %s):\n%s" % (r, lrc, load.log_tail(20)))
        acked, sent = summary["acked"], summary["sent"]
        if acked <= 0:
            self.fail("round %d: no write was acknowledged before the kill (%s)" % (r, summary))
        killed_log = self.log_of(killed)
        snaps = len([l for l in killed_log.splitlines() if self.snap_re.search(l)])
        purges = len([l for l in killed_log.splitlines() if self.purge_re.search(l)])
        self.check_sizes("after kill %d" % r)
        vrc, vnote, _ = self.verify("kill-%d" % r)
        tore = r % 2 == 1
        if tore:
            tear_newest_log(self.version2)
        self.start()
        run_log = self.log_of(self.server)
        m = re.search(r"replayed (\d+) txns", run_log)
        torn = [l for l in run_log.splitlines() if "torn tail" in l]
        if tore and not torn:
            self.fail("round %d: a torn tail was written into the newest log, but the restart did not report "
                      "cutting it" % r)
        check = self.check_data("--eph-round", str(r))
        checked = "%d/%ss" % (check.get("creates", 0) + check.get("deletes", 0) + check.get("ephemerals_checked", 0),
                              check.get("seconds", 0))
        print("%5d %7d %8d %6d %6.2f %7.3f %9s %5d %5d %5d %14s  rc=%d %s"
              % (r, acked, total + acked, sent - acked, summary["seconds"], self.recovery,
                 m.group(1) if m else "?", len(torn), snaps, purges, checked, vrc, vnote), flush=True)
        for l in torn:
            print("        server: " + l)
        for l in killed_log.splitlines():
            if NOTABLE.search(l) and not l.startswith("### "):
                print("        server (notable): " + l)
        return acked, len(torn)

    # -- the whole test ---------------------------------------------------------------
    def main(self):
        self.say("zabra-node crash test: %d rounds, port %d, seed %d, work dir %s"
                 % (self.rounds, self.port, self.seed, self.work.path))
        self.say("config: snapCount=%d preAllocSize=%dKB tickTime=%d; load: %d clients x %d writes in flight"
                 % (SNAP_COUNT, PREALLOC_KB, TICK_MS, self.clients, self.window))
        self.start()
        self.say("first start: serving after %.3fs" % self.recovery)
        print(LEGEND)
        print("%5s %7s %8s %6s %6s %7s %9s %5s %5s %5s %14s  %s" % (
            "round", "acked", "total", "unackd", "load_s", "recov_s", "replayed", "torn", "snaps", "purge",
            "checked", "verify (after kill)"))
        total = torn_total = 0
        recoveries = []
        try:
            for r in range(1, self.rounds + 1):
                acked, torn = self.round(r, total)
                total += acked
                torn_total += torn
                recoveries.append(self.recovery)
            self.finish(total, torn_total, recoveries)
        except Exception as e:      # the test cannot go on: reported with what failed before
            if not isinstance(e, Fatal):
                traceback.print_exc()
            self.fail("%s: %s" % (type(e).__name__, e))
        if self.failures:
            print("\nnode-crash-test: FAILED (%d problem(s)); work dir %s, seed %d:"
                  % (len(self.failures), self.work.path, self.seed))
            print("\n".join("  - " + f for f in self.failures))
            return 1
        self.say("PASSED: %d kill -9 rounds, %d acknowledged writes, none lost" % (self.rounds, total))
        return 0

    def finish(self, total, torn_total, recoveries):
        wait_s = SESSION_TIMEOUT_S + 2 * TICK_MS // 1000 + 3
        print()
        self.say("waiting %ds for the killed clients' sessions to expire" % wait_s)
        time.sleep(wait_s)
        check = self.check_data("--ephemerals-gone")
        with open(self.journal, encoding="utf-8") as f:
            eph_acked = sum(1 for line in f if '"e":' in line)
        self.say("ephemerals after the session timeout: %s left (of %d acknowledged)"
                 % (check.get("ephemerals_left", 0), eph_acked))
        self.stop_term()
        self.check_sizes("after SIGTERM")
        vrc, vnote, vsummary = self.verify("final", final=True)
        self.say("zabra verify after SIGTERM: exit %s, %s; %s" % (vrc, vnote, vsummary))
        self.start()
        check = self.check_data()
        self.say("restart after SIGTERM: serving after %.3fs; check: %s"
                 % (self.recovery, json.dumps(check, sort_keys=True)))
        self.stop_term()
        for server in self.runs[-2:]:
            for l in self.log_of(server).splitlines():
                if NOTABLE.search(l) and not l.startswith("### "):
                    print("        server (notable): " + l)
        s = sorted(recoveries)
        self.say("recovery times after kill -9 (s): min %.3f median %.3f max %.3f"
                 % (s[0], s[(len(s) + 1) // 2 - 1], s[-1]))
        self.say("acknowledged writes: %d in %d rounds; torn-tail lines in server logs: %d"
                 % (total, self.rounds, torn_total))
        unit = PREALLOC_KB * 1024
        self.say("log files seen: %d; sizes must be 16 + k x %d bytes (k >= 1)" % (len(self.log_sizes), unit))
        if self.size_bad:
            self.fail("%d of %d log files have a size that is not 16 + k x preAllocSize"
                      % (len(self.size_bad), len(self.log_sizes)))
            for name in sorted(self.size_bad)[:25]:
                print("        " + self.size_bad[name])
            with open(self.work.file("log-sizes.txt"), "w") as f:
                f.write("".join(self.size_bad[n] + "\n" for n in sorted(self.size_bad)))
            print("        (ZooKeeper's FilePadding pads when the flushed position is within 4 KB of the padded\n"
                  "        size; when a write overran the padded size, it pads to a multiple of preAllocSize;\n"
                  "        ZABRA_NODE=zk runs this test on a real ZooKeeper for comparison)")
        leftovers = sorted(n for n in os.listdir(self.version2) if n.startswith("zabra-tmp."))
        if leftovers:
            self.say("note: %d leftover zabra-tmp.* file(s) in version-2 (snapshots interrupted by a kill): %s"
                     % (len(leftovers), " ".join(leftovers)))
        lines, bad = intervals([s.log for s in self.runs], self.log_names, SNAP_COUNT, self.clients * self.window)
        print("\n".join("    " + l for l in lines))
        if bad:
            self.fail("snapshot / log roll intervals out of range: %d (see above)" % len(bad))


def last_json(text):
    """The last line of text that is a JSON object, parsed ({} when none)."""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir even on success")
    ap.add_argument("rounds", nargs="?", type=int, default=20, help="kill -9 rounds (default 20)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("ROUNDS must be at least 1")
    skip_unless("kazoo", "zabra", *(("zookeeper",) if zookeeper_stands_in() else ("zabra-node",)))
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    test = CrashTest(WorkDir("node-crash", keep=args.keep), args.rounds, seed,
                     int(os.environ.get("CRASH_CLIENTS", 4)), int(os.environ.get("CRASH_WINDOW", 16)))
    return test.main()


if __name__ == "__main__":
    run(main)
