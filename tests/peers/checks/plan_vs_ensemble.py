"""`zabra plan` against what a real ZooKeeper 3.8 leader decides
(ctest plan_predicts_what_a_real_zookeeper_leader_decides).

A real 3-server ensemble (workloads.zk_sync.sync_ensemble: quorum and
election traffic through the harness proxies, snapCount=100, default txn-log
preallocation) is driven, one after another, into these sync situations:

  empty-diff   a follower is stopped and restarted with no writes in between
  diff         a follower is stopped, a few txns are written through the others
  snap         a follower is stopped, 2000 txns of 1 KB are written (more than
               the 501-entry committed log, and logs roll with every snapshot,
               so the on-disk log is over the size limit)
  trunc        the leader is cut off, takes writes it logs but cannot commit,
               is stopped; the other two elect a new leader that takes NO
               writes; the old leader comes back
  trunc-epoch  the same, but the new leader takes a few writes in its epoch
               before the old leader comes back (ZooKeeper sends no TRUNC
               across epochs: SNAP)
  diff-new-epoch
               a follower is stopped, 10 txns, then the leader is restarted (a
               rolling restart: the two remaining elect a leader of a new
               epoch), and the follower comes back to that leader

For each one the learner's data dir is copied while it is stopped and the
leader's right before the learner restarts; the leader's own decision is read
from its log (LearnerHandler: "Synchronizing with Learner", "Sending
DIFF/TRUNC", "Sending snapshot", at DEBUG "Sending TRUNC to follower", "Start
forwarding"), and `zabra plan --leader <copy> --learner <copy> --json` must
agree with it: kind, peer zxid, DIFF / TRUNC zxid and the zxid forwarding
starts from (zabra's current_zxid).  A table is printed; for a mismatch also
the leader's Synchronizing line and LearnerHandler messages, zabra's reason,
the leader copy's files and the leader server's history (database loads,
syncs, leadership, non-periodic snapshots).

Exit 0 every prediction matches, 1 a mismatch (or the run failed), 77 a peer
is missing.  Run: python3 -m tests.peers.checks.plan_vs_ensemble [-k]
"""
import argparse
import json
import os

from .. import WorkDir, binary, run
from ..workloads.zk_sync import (cut_off_leader, log_lines, others, require, sync_ensemble, wait_leader_decision,
                                 write_znodes, zabra)

# the events of a server's run that reset or extend its in-memory committed
# log (database loads, syncs as a learner, leadership) and the snapshots that
# are not the periodic ones (taken at leadership start or at NEWLEADER of a
# SNAP/TRUNC sync)
HISTORY = (r"^### |Reading snapshot |Snapshot loaded in|Getting a (diff|snapshot) from|Truncating log"
           r"|(LEADING|FOLLOWING) - LEADER ELECTION|Snapshotting: ")


class Situation:
    def __init__(self, work, number, name, learner, ens):
        self.name = name
        self.learner = learner
        self.dir = work.sub("results", "%d-%s" % (number, name))
        self.learner_copy = work.copy(ens.servers[learner].data_dir, self.dir, "learner")
        self.decision = self.plan = None
        self.plan_text = ""
        self.leader_files = []
        self.history = []

    def save(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value if isinstance(value, str) else json.dumps(value, indent=1) + "\n")


class Run:
    """The ensemble and the situations taken so far."""

    def __init__(self, work):
        self.work = work
        self.ens = sync_ensemble(work)
        self.situations = []
        self.leader = None

    def begin(self, name, learner):
        """Called while `learner` is stopped: copies its data dir."""
        s = Situation(self.work, len(self.situations) + 1, name, learner, self.ens)
        self.situations.append(s)
        return s

    def finish(self, s, leader):
        """Copies the live leader's dir, restarts the learner, reads the
        leader's decision and runs zabra plan on the two copies."""
        server = self.ens.servers[leader]
        since = server.proc.log_size()
        leader_copy = self.work.copy(server.data_dir, s.dir, "leader")
        self.ens.start(s.learner, wait=False)
        print("  learner %d restarted; reading leader %d's decision" % (s.learner, leader), flush=True)
        s.decision = wait_leader_decision(server, since, s.learner)
        s.save("leader.json", s.decision)
        s.leader_files = sorted(os.listdir(os.path.join(leader_copy, "version-2")))
        s.history = [line.split(": ", 1)[0] if line.startswith("### ") else line
                     for line in log_lines(server.proc.log_text(), HISTORY, exclude=r"\[Snapshot Thread\]")]
        s.history = [line.replace(str(self.work) + "/", "") for line in s.history]
        p = zabra("plan", "--leader", leader_copy, "--learner", s.learner_copy, "--json")
        s.save("zabra.json", p.stdout)
        if p.returncode not in (0, 10, 11, 12, 13):
            raise RuntimeError("zabra plan failed (exit %d): %s" % (p.returncode, p.stderr))
        s.plan = json.loads(p.stdout)
        t = zabra("plan", "--leader", leader_copy, "--learner", s.learner_copy)
        s.plan_text = t.stdout + t.stderr
        print("  leader: %s" % s.decision["sync"]["line"].split(" - ", 1)[-1], flush=True)
        print("  zabra:  %s" % p.stdout.strip(), flush=True)
        self.leader = self.ens.wait_for_quorum(self.ens.sids)

    def stopped_follower(self, name, follower):
        self.ens.stop(follower)
        return self.begin(name, follower)

    def cut_off(self, name):
        print("  cutting leader %d off; it logs proposals it cannot commit" % self.leader, flush=True)
        old, self.leader = cut_off_leader(self.ens, "/uncommitted-" + name, count=3, linger=1.5)
        print("  new leader: %d" % self.leader, flush=True)
        return self.begin(name, old)


def take_situations(r):
    ens = r.ens
    r.leader = ens.start()
    print("ensemble up, leader %d; initial writes" % r.leader, flush=True)
    write_znodes(ens, "/init", 150, 64)

    f = others(ens, r.leader)[0]
    print("situation empty-diff: follower %d stopped and restarted, no writes" % f, flush=True)
    r.finish(r.stopped_follower("empty-diff", f), r.leader)

    f = others(ens, r.leader)[0]
    print("situation diff: follower %d stopped, 10 txns through the others" % f, flush=True)
    s = r.stopped_follower("diff", f)
    write_znodes(ens.hosts(others(ens, f)), "/diff", 10, 64)
    r.finish(s, r.leader)

    f = others(ens, r.leader)[-1]
    print("situation snap: follower %d stopped, 2000 txns of 1 KB through the others" % f, flush=True)
    s = r.stopped_follower("snap", f)
    write_znodes(ens.hosts(others(ens, f)), "/snap", 2000, 1024)
    r.finish(s, r.leader)

    print("situation trunc: leader %d cut off with uncommitted proposals; new leader takes no writes" % r.leader,
          flush=True)
    s = r.cut_off("trunc")
    ens.heal()
    r.finish(s, r.leader)

    print("situation trunc-epoch: leader %d cut off with uncommitted proposals; new leader takes 5 writes"
          % r.leader, flush=True)
    s = r.cut_off("trunc-epoch")
    write_znodes(ens.hosts(others(ens, s.learner)), "/epoch", 5, 64)
    ens.heal()
    r.finish(s, r.leader)

    # DIFF across a leader change: the follower is behind by txns of the
    # previous epoch; the other two restart one after the other (a rolling
    # restart) so a new leader, with a new epoch, syncs it
    f = others(ens, r.leader)[0]
    m = others(ens, r.leader, f)[0]
    print("situation diff-new-epoch: follower %d stopped, 10 txns, leader %d restarted (new epoch)"
          % (f, r.leader), flush=True)
    s = r.stopped_follower("diff-new-epoch", f)
    write_znodes(ens.hosts([r.leader, m]), "/newepoch", 10, 64)
    ens.stop(r.leader)
    ens.start(r.leader, wait=False)
    r.leader = ens.wait_for_quorum([r.leader, m])
    print("  new leader: %d" % r.leader, flush=True)
    r.finish(s, r.leader)


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------
def compare(lead, plan):
    """[(field, leader's value, zabra's value)] that differ."""
    kind = lead["kind"]
    diffs = []
    if kind != plan.get("kind"):
        diffs.append(("kind", kind, plan.get("kind")))
    if lead["sync"]["peer"] != plan.get("peer_zxid"):
        diffs.append(("peer zxid", lead["sync"]["peer"], plan.get("peer_zxid")))
    if kind == plan.get("kind"):
        if kind in ("DIFF", "EMPTY_DIFF") and lead["op_zxid"] != plan.get("diff_zxid"):
            diffs.append(("DIFF zxid", lead["op_zxid"], plan.get("diff_zxid")))
        if kind in ("TRUNC", "TRUNC+DIFF") and lead["op_zxid"] != plan.get("trunc_to"):
            diffs.append(("TRUNC zxid", lead["op_zxid"], plan.get("trunc_to")))
        if lead["forward"] is not None and lead["forward"] != plan.get("current_zxid"):
            diffs.append(("forwarding from (current zxid)", lead["forward"], plan.get("current_zxid")))
    return diffs


def describe_leader(d):
    s = d["kind"] or "?"
    if d["op"] == "DIFF":
        s += " diff=%s" % d["op_zxid"]
    elif d["op"] == "TRUNC":
        s += " trunc=%s" % d["op_zxid"]
    if d["kind"] == "SNAP":
        s += " snap=%s" % d["snap_zxid"]
    s += " peer=%s" % d["sync"]["peer"]
    return s + (" fwd=%s" % d["forward"] if d["forward"] else "")


def describe_plan(p):
    kind = p.get("kind", "?")
    s = kind
    if kind in ("DIFF", "EMPTY_DIFF"):
        s += " diff=%s" % p.get("diff_zxid")
    if kind in ("TRUNC", "TRUNC+DIFF"):
        s += " trunc=%s" % p.get("trunc_to")
    if p.get("count"):
        s += " n=%s" % p.get("count")
    s += " peer=%s" % p.get("peer_zxid")
    return s + (" cur=%s" % p.get("current_zxid") if p.get("current_zxid") else "")


def print_mismatch(s, diffs):
    print("  MISMATCH:")
    for field, a, b in diffs:
        print("    %-30s leader %-20s zabra %s" % (field, a, b))
    print("  leader's Synchronizing line:\n    %s" % s.decision["sync"]["line"])
    print("  leader's LearnerHandler messages for this sync:")
    for m in s.decision["messages"]:
        print("    %s" % m)
    print("  zabra plan (text):")
    for line in s.plan_text.splitlines():
        print("    %s" % line)
    print("  leader copy's version-2:\n    %s" % " ".join(s.leader_files))
    print("  leader server's history (database loads, syncs, leadership, non-periodic snapshots)%s:"
          % (", last 30" if len(s.history) > 30 else ""))
    for line in s.history[-30:]:
        print("    %s" % line)


def report(situations):
    hdr = ("situation", "leader decided (its log)", "zabra plan", "match")
    rows = [(s.name, describe_leader(s.decision), describe_plan(s.plan),
             "yes" if not compare(s.decision, s.plan) else "NO") for s in situations]
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(4)]
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
    print("  ".join("-" * w[i] for i in range(4)))
    for r in rows:
        print("  ".join(r[i].ljust(w[i]) for i in range(4)))
    print()
    bad = 0
    for s in situations:
        sync, lead = s.decision["sync"], s.decision
        print("%s:" % s.name)
        print("  leader: maxCommittedLog=%s minCommittedLog=%s lastProcessedZxid=%s peerLastZxid=%s"
              % (sync["max"], sync["min"], sync["lp"], sync["peer"]))
        for n in lead["notes"]:
            print("  leader note: %s" % n)
        if lead["sync_count"] > 1:
            print("  leader note: the learner synced %d times; the first sync is compared" % lead["sync_count"])
        print("  zabra: rule=%s reason=%s" % (s.plan.get("rule"), s.plan.get("reason")))
        diffs = compare(lead, s.plan)
        if diffs:
            bad += 1
            print_mismatch(s, diffs)
    print()
    if bad:
        print("plan-vs-ensemble: %d of %d situation(s) MISMATCH" % (bad, len(situations)))
        return 1
    print("plan-vs-ensemble: all %d situation(s) match" % len(situations))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", "--keep", action="store_true", help="keep the work dir (it is also kept on failure)")
    args = ap.parse_args(argv)
    require("plan")
    work = WorkDir("plan-vs-ensemble", keep=args.keep)
    print("work dir %s; zabra %s" % (work, binary("zabra")), flush=True)
    r = Run(work)
    try:
        take_situations(r)
    finally:
        r.ens.close()
    print("done; report\n", flush=True)
    return report(r.situations)


if __name__ == "__main__":
    run(main)
