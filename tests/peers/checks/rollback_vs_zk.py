"""`zabra rollback` against a real ZooKeeper 3.8's own TRUNC, and `zabra
rollback` / `zabra repair` refusing a live server's data dir (ctest
rollback_leaves_what_zookeepers_trunc_leaves_and_refuses_live_servers).

Part 1, TRUNC (workloads.zk_sync.sync_ensemble: a real 3-server ensemble,
quorum and election traffic through the harness proxies, snapCount=100):
  - 150 znodes are written; the leader is cut off and sent UNCOMMITTED (150)
    creates it logs as proposals but cannot commit (more than snapCount/2..
    snapCount txns, so its log rolls: a later log holds only uncommitted
    txns), then it is stopped; the other two elect a new leader that takes
    no writes;
  - the old leader's data dir is copied: BEFORE;
  - it comes back; the new leader sends it TRUNC to zxid T (read from the
    leader's log, "Sending TRUNC", cross-checked with the learner's own
    "Truncating log" line); it syncs, 5 more znodes are written through the
    ensemble (txns of the new epoch, appended after T), it is stopped and its
    data dir copied: AFTER (ZooKeeper's own truncation);
  - `zabra rollback BEFORE --to T --yes` (its dry run first: exit 4), and then
    the txns in BEFORE's logs must be exactly AFTER's txns with zxid <= T
    ((zxid, type, path), and every other field too), the kept logs
    byte-identical, no snapshot named after a zxid > T left in BEFORE
    (ZooKeeper's TRUNC leaves such snapshots: ZOOKEEPER-4837; shown if the
    before copy had one), and every other difference between the two dirs
    explained (checks.rollback_compare);
  - a real standalone ZooKeeper is started on a copy of the rolled-back dir
    and must serve with Zxid T (srvr), the uncommitted znodes absent; after
    one client session its Zxid is T+2 (standalone: no new epoch, the zxids
    of the removed txns are used again);
  - `zabra rollback --undo` must put the before copy back byte for byte.
Part 2, live-server refusal: on a real standalone ZooKeeper and on zabra-node,
  each running on its data dir after a few writes, `zabra rollback DIR --to
  <a zxid in its log> --yes` and `zabra repair DIR --yes` must exit 32 and
  change nothing (sha256 of every file in the data dir before == after, no
  backup dir), while a --force dry run has a plan (exit 4).  A NOTE (not a
  check) shows what zabra sees of a live ZooKeeper that has no log file open
  (just restarted, no txn yet), with dry runs only.

Exit 0 every check holds, 1 a check failed (or the run failed), 77 a peer is
missing.  Run: python3 -m tests.peers.checks.rollback_vs_zk [-k] [--uncommitted N]
"""
import argparse
import glob
import os
import re
import subprocess

from .. import WorkDir, ZabraNode, ZooKeeperServer, binary, connected, run, skip_unless, wait_until, zxid
from ..workloads.zk_sync import (cut_off_leader, hx, log_lines, require, sync_ensemble, wait_leader_decision,
                                 write_znodes, zabra)
from .rollback_compare import compare, dump, hash_tree

REFUSED = 32        # zabra: the data dir is in use by a live server


class Verdicts:
    def __init__(self):
        self.results = []       # (passed, text)
        self.notes = []

    def check(self, cond, text):
        self.results.append((bool(cond), text))
        print("  %s: %s" % ("PASS" if cond else "FAIL", text), flush=True)

    def note(self, text):
        self.notes.append(text)
        print("  NOTE: %s" % text, flush=True)

    def summary(self, title):
        print("\nrollback-vs-zk summary (%s):" % title)
        for ok, text in self.results:
            print("  %s  %s" % ("PASS" if ok else "FAIL", text))
        for text in self.notes:
            print("  NOTE  %s" % text)
        failed = sum(1 for ok, _ in self.results if not ok)
        if failed:
            print("\nrollback-vs-zk: FAIL (%d of %d checks failed)" % (failed, len(self.results)))
            return 1
        print("\nrollback-vs-zk: PASS (all %d checks hold)" % len(self.results))
        return 0


def indent(text):
    for line in text.splitlines():
        print("    %s" % line)


def ls_v2(d):
    """"name(size)" for logs and snapshots, "name=value" for the epoch files."""
    v2 = os.path.join(d, "version-2")
    out = []
    for n in sorted(os.listdir(v2)):
        p = os.path.join(v2, n)
        if os.path.isfile(p):
            out.append("%s=%s" % (n, open(p).read().strip()) if n in ("currentEpoch", "acceptedEpoch")
                       else "%s(%d)" % (n, os.path.getsize(p)))
    return " ".join(out)


def standalone(cls, name, work, data_dir=None):
    """A standalone server as the old script configured it (tickTime 2000, no autopurge)."""
    return cls(name=name, workdir=work, data_dir=data_dir, tick_time=2000, extra={"autopurge.purgeInterval": 0})


# ---------------------------------------------------------------------------
# part 1
# ---------------------------------------------------------------------------
def truncate_by_zookeeper(v, work, uncommitted):
    """Runs the ensemble through the TRUNC; returns (T, the before copy, its
    untouched twin, the after copy)."""
    ens = sync_ensemble(work)
    try:
        leader = ens.start()
        print("  ensemble up, leader %d; 150 initial writes" % leader, flush=True)
        write_znodes(ens, "/init", 150, 64)
        print("  cutting leader %d off; it logs %d proposals it cannot commit" % (leader, uncommitted), flush=True)
        old, leader = cut_off_leader(ens, "/uncommitted", uncommitted, linger=2.0)
        print("  old leader %d stopped; new leader %d (no writes)" % (old, leader), flush=True)
        before = work.copy(ens.servers[old].data_dir, "before")          # zabra rollback runs on this one
        orig = work.copy(ens.servers[old].data_dir, "before.orig")       # untouched, for the report
        print("  BEFORE copy: %s" % ls_v2(before), flush=True)

        ens.heal()
        lead, learner = ens.servers[leader], ens.servers[old]
        since_leader, since_learner = lead.proc.log_size(), learner.proc.log_size()
        ens.start(old, wait=False)
        d = wait_leader_decision(lead, since_leader, old)
        print("  leader %d: %s" % (leader, d["sync"]["line"].split(" - ", 1)[-1]))
        for line in log_lines(lead.proc.log_text(), "Sending TRUNC")[-2:]:
            print("    leader: %s" % line.split(" - ", 1)[-1])
        if d["kind"] != "TRUNC" or not d["op_zxid"]:
            raise RuntimeError("the leader did not send a plain TRUNC (kind %s, zxid %s): %s"
                               % (d["kind"], d["op_zxid"], d["messages"]))
        T = int(d["op_zxid"], 16)
        t_learner = learner_trunc(learner, since_learner)
        print("  learner %d: Truncating log to get in sync with the leader %s" % (old, t_learner))
        v.check(t_learner == hx(T), "the leader sent TRUNC %s and the learner truncated to %s" % (hx(T), t_learner))

        ens.wait_for_quorum(ens.sids)
        print("  learner %d is following; 5 writes through the ensemble (new epoch, after T)" % old, flush=True)
        write_znodes(ens.hosts([leader]), "/after", 5, 64)
        synced = wait_until(lambda: same_zxid(ens), 120, "the servers to agree on a zxid after the writes")
        print("  all three servers at zxid %s; stopping %d" % (hx(synced), old), flush=True)
        ens.stop(old)
        after = work.copy(learner.data_dir, "after")
        print("  AFTER copy:  %s" % ls_v2(after))
        for line in log_lines(learner.proc.log_text(since_learner), r"Truncating log|Snapshotting: |Getting a "
                              r"(diff|snapshot) from|FOLLOWING - LEADER ELECTION|Reading snapshot"):
            print("    learner: %s" % line)
    finally:
        ens.close()
    return T, before, orig, after


def learner_trunc(server, since):
    """The zxid the learner says it truncates to, or "none"."""
    def said():
        m = re.search(r"Truncating log to get in sync with the leader 0x([0-9a-fA-F]+)", server.proc.log_text(since))
        return m and hx(m[1])
    try:
        return wait_until(said, 120, "the learner's 'Truncating log' line")
    except TimeoutError:
        return "none"


def same_zxid(ens):
    zs = {s: zxid(ens.hostport(s)) for s in ens.sids}
    return zs[1] if len(set(zs.values())) == 1 and None not in zs.values() else None


def rollback_and_compare(v, work, T, before, orig, after):
    print("  zabra rollback %s --to %s (dry run)" % (before, hx(T)), flush=True)
    p = zabra("rollback", before, "--to", hx(T))
    indent(p.stdout + p.stderr)
    v.check(p.returncode == 4, "zabra rollback dry run: exit 4 (changes to make), got %d" % p.returncode)
    print("  zabra rollback %s --to %s --yes" % (before, hx(T)), flush=True)
    p = zabra("rollback", before, "--to", hx(T), "--yes")
    indent(p.stdout + p.stderr)
    v.check(p.returncode == 1, "zabra rollback --yes: exit 1 (done), got %d" % p.returncode)
    print("  rolled back: %s" % ls_v2(before))
    print("  comparing zabra's result with ZooKeeper's own truncation", flush=True)
    compare(lambda cond, what: v.check(cond, "compare: " + what), orig, before, after, T)


def serve_rolled_back(v, work, T, before):
    """A real standalone ZooKeeper on a copy of the rolled-back dir."""
    zk = standalone(ZooKeeperServer, "zk-check", work, work.copy(before, "zk-check", "data"))
    print("  starting a standalone ZooKeeper on a copy of the rolled-back dir", flush=True)
    try:
        zk.start()
    except (RuntimeError, TimeoutError) as e:      # ProcessDied is a RuntimeError
        indent(zk.proc.log_tail(20))
        v.check(False, "a standalone ZooKeeper starts on the rolled-back dir (%s)" % str(e).splitlines()[0])
        zk.stop()
        return
    try:
        info = zk.srvr()
        print("    srvr: mode %s, zxid %s" % (info.get("Mode"), info.get("Zxid")))
        v.check(True, "a standalone ZooKeeper %s starts on the rolled-back dir" % zookeeper_version(info))
        v.check(int(info["Zxid"], 16) == T, "it reports Zxid %s, T is %s" % (info["Zxid"], hx(T)))
        for line in log_lines(zk.proc.log_text(), "Snapshot loaded in|Snapshotting: |Reading snapshot"):
            print("    zk: %s" % line)
        with connected(zk) as c:
            st = c.exists("/uncommitted")
            kids = c.get_children("/uncommitted") if st else []
            stray = c.exists("/after")
        print("    /uncommitted %s with %d children%s; /after %s" % ("exists" if st else "is missing", len(kids),
              (": " + ", ".join(sorted(kids)[:5])) if kids else "", "exists" if stray else "is absent"))
        v.check(st is not None and not kids and stray is None,
                "its tree has /uncommitted with none of the uncommitted creates, and no /after")
        # that session was a createSession and a closeSession: the server goes
        # on in T's epoch, from T (reusing the zxids of the removed txns)
        def past_session():
            z = zxid(zk.hostport)
            return z if z is not None and z >= T + 2 else None
        z2 = wait_until(past_session, 60, "the session's txns on the rolled-back server")
        print("    after one client session (createSession + closeSession): Zxid %s" % hx(z2))
        v.check(z2 == T + 2, "it goes on in T's epoch: after one session its Zxid is T+2 = %s (got %s; no new "
                "epoch in standalone mode)" % (hx(T + 2), hx(z2)))
    finally:
        zk.stop()


def zookeeper_version(info):
    """Debian's package version (srvr's has an unexpanded ${mvngit.commit.id})."""
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "zookeeper"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=60, check=False)
    except OSError:
        p = None
    return p.stdout.strip() if p and p.returncode == 0 else info.get("Zookeeper version", "?").split("-")[0]


def undo(v, before, orig):
    backup = sorted(glob.glob(os.path.join(before, "zabra-backup-*")))[:1]
    p = zabra("rollback", "--undo", *backup, "--yes")
    print("  zabra rollback --undo %s --yes -> exit %d: %s" % (os.path.basename(backup[0]) if backup else "(none)",
                                                            p.returncode, (p.stdout + p.stderr).split("\n")[0]))
    v.check(p.returncode == 1 and hash_tree(os.path.join(orig, "version-2")) == hash_tree(os.path.join(before,
                                                                                                     "version-2")),
            "zabra rollback --undo exits 1 and version-2 is back to the before copy, byte for byte")


# ---------------------------------------------------------------------------
# part 2
# ---------------------------------------------------------------------------
def open_under(d, pid=None):
    """The files (relative to d) that processes (or process pid) have open under d."""
    out = set()
    for fd in glob.glob("/proc/%s/fd/*" % (pid or "[0-9]*")):
        try:
            t = os.readlink(fd)
        except OSError:
            continue
        if t.startswith(d + "/"):
            out.add(t[len(d) + 1:])
    return sorted(out)


def no_backup(d):
    return not glob.glob(os.path.join(d, "zabra-backup-*")) and not glob.glob(os.path.join(d, "version-2",
                                                                                       "zabra-backup-*"))


def live_refusal(v, name, server):
    """Starts `server`, writes 20 znodes; then both commands must exit 32 on
    its data dir and change nothing, and the server must still run.  Returns
    the server, running."""
    server.start()
    write_znodes(server, "/live", 20, 64)
    d = server.data_dir
    txns, _ = dump(d)
    if not txns:
        v.check(False, "%s: no txn in the live dir's logs" % name)
        return server
    z = txns[len(txns) // 2]["zxid"]
    print("  %s: files open under the data dir: %s" % (name, " ".join(open_under(d))), flush=True)
    hashes = hash_tree(d)
    p1 = zabra("rollback", d, "--to", z, "--yes")
    p2 = zabra("repair", d, "--yes")
    hashes_after = hash_tree(d)
    print("  %s: zabra rollback %s --to %s --yes -> exit %d" % (name, d, z, p1.returncode))
    indent(p1.stdout + p1.stderr)
    print("  %s: zabra repair %s --yes -> exit %d" % (name, d, p2.returncode))
    indent(p2.stdout + p2.stderr)
    v.check(p1.returncode == REFUSED, "%s: zabra rollback --to %s --yes exits 32 (got %d)" % (name, z, p1.returncode))
    v.check(p2.returncode == REFUSED, "%s: zabra repair --yes exits 32 (got %d)" % (name, p2.returncode))
    v.check(hashes == hashes_after, "%s: sha256 of all %d files in the data dir unchanged (%d in version-2)"
            % (name, len(hashes), sum(1 for f in hashes if f.startswith("version-2/"))))
    v.check(no_backup(d), "%s: no zabra-backup-* dir was made" % name)
    # the refusal is about the live server: the same rollback as a dry run
    # with --force has a plan (exit 4)
    p3 = zabra("rollback", d, "--to", z, "--force")
    v.check(p3.returncode == 4, "%s: with --force (dry run) the same rollback has a plan to apply (exit %d): the "
            "refusal is the live server's" % (name, p3.returncode))
    v.check(server.running, "%s: the server still runs" % name)
    return server


def refuse_live_zookeeper(v, work):
    zk = live_refusal(v, "zookeeper", standalone(ZooKeeperServer, "live-zk", work))
    # NOTE: a live ZooKeeper with no file open in its data dir (restarted, no txn yet)
    zk.stop()
    zk.start()
    txns, _ = dump(zk.data_dir)
    zl, zm = txns[-1]["zxid"], txns[9]["zxid"]
    open_files = len(open_under(zk.data_dir, zk.pid))
    r1 = zabra("rollback", zk.data_dir, "--to", zm).returncode
    r2 = zabra("repair", zk.data_dir).returncode
    msg = ("a live ZooKeeper just restarted on its dir (last zxid %s, no txn since, %d file(s) open under it, no "
           "zookeeper_server.pid): dry runs exit rollback %d, repair %d" % (zl, open_files, r1, r2))
    if r1 == REFUSED and r2 == REFUSED:
        msg += " (refused)"
    else:
        msg += (" (NOT refused: nothing in /proc shows the server uses the dir; with --yes it would be changed "
                "under the running server)")
    v.note(msg)
    pid_file = os.path.join(zk.data_dir, "zookeeper_server.pid")
    with open(pid_file, "w") as f:      # what zkServer.sh writes
        f.write(str(zk.pid))
    r1 = zabra("rollback", zk.data_dir, "--to", zm).returncode
    os.unlink(pid_file)
    v.note("the same with a zookeeper_server.pid naming it, as zkServer.sh writes: dry-run rollback exits %d" % r1)
    zk.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", "--keep", action="store_true", help="keep the work dir (it is also kept on failure)")
    ap.add_argument("--uncommitted", type=int, default=int(os.environ.get("UNCOMMITTED", 150)),
                    help="creates sent to the cut-off leader (default $UNCOMMITTED or 150)")
    args = ap.parse_args(argv)
    require("rollback")
    skip_unless("zabra-node")
    work = WorkDir("rollback-vs-zk", keep=args.keep)
    v = Verdicts()
    print("work dir %s; zabra %s" % (work, binary("zabra")))
    print("part 1: a real ZooKeeper learner sent TRUNC vs zabra rollback", flush=True)
    T, before, orig, after = truncate_by_zookeeper(v, work, args.uncommitted)
    rollback_and_compare(v, work, T, before, orig, after)
    serve_rolled_back(v, work, T, before)
    undo(v, before, orig)
    print("part 2: zabra rollback / repair refuse a data dir a live server uses", flush=True)
    refuse_live_zookeeper(v, work)
    live_refusal(v, "zabra-node", standalone(ZabraNode, "live-node", work)).stop()
    return v.summary("T = %s" % hx(T))


if __name__ == "__main__":
    run(main)
