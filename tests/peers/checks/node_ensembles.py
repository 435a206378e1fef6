"""zabra-node ensembles: three zabra-nodes, and mixed ensembles with ZooKeeper 3.8 where zabra-node leads.

  three       Three zabra-nodes elect a leader. Writes go through each server, and the tree read
              through each is the same. A writer keeps writing while the leader is killed (SIGKILL):
              a new leader is elected (the time is printed beside the same failover of three
              ZooKeepers on this machine), every acknowledged write is there, the old leader
              restarts and rejoins, and the tree is again the same everywhere.
  mixed-2zk   ZooKeeper 1 and 2 with zabra-node 3, which leads (the larger sid wins an equal vote).
              Writes through each; the same tree; ZooKeeper's followers restart and sync from it.
  mixed-1zk   ZooKeeper 1 with zabra-node 2 and 3 (zabra-node leads), then ZooKeeper 3 with
              zabra-node 1 and 2 (ZooKeeper leads): writes through each, the same tree.
Then, for every zabra-node member: `zabra verify` is clean, and ZooKeeper's TxnLogToolkit and
SnapshotFormatter read every file it wrote.
  hostile     A zabra-node leader's quorum port: garbage, a 2 GiB buffer, a packet that is not
              FOLLOWERINFO, an ACKEPOCH from a learner ahead of it: each costs that connection only;
              the leader keeps leading and serving.

Run: python3 -m tests.peers.checks.node_ensembles [-k] [case...]
"""
import argparse
import os
import threading
import time

from kazoo.exceptions import ConnectionLoss, NodeExistsError, OperationTimeoutError, SessionExpiredError

from tests.peers import (WorkDir, ZabraEnsemble, ZooKeeperEnsemble, binary, connect, run, run_command, skip_unless,
                         wait_until)
from tests.peers.checks.ensemble_common import Failures, check, same_tree_everywhere, say
from tests.peers.checks.node_zk_compat import run_tools
from tests.peers.ports import closed_by_peer


def write_through_each(ens, prefix, n):
    for s in ens.running():
        z = connect(ens.servers[s].hostport)
        z.ensure_path(prefix)
        for i in range(n):
            z.create("%s/s%d-%03d" % (prefix, s, i), b"x" * (i % 50))
        z.stop()
        z.close()


class Writer:
    """Creates /w/NNNNNN one after another through the whole ensemble; remembers what was acknowledged."""

    def __init__(self, hosts):
        self.zk = connect(hosts, session_timeout=20.0)
        self.zk.ensure_path("/w")
        self.acked, self.stop, self.errors = [], threading.Event(), 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop.is_set():
            path = "/w/%06d" % i
            try:
                self.zk.create(path, b"w")
                self.acked.append(path)
                i += 1
            except NodeExistsError:     # it was written, its answer lost
                i += 1
            except (ConnectionLoss, OperationTimeoutError, SessionExpiredError):
                self.errors += 1
                time.sleep(0.1)

    def finish(self):
        self.stop.set()
        self.thread.join(30)
        self.zk.stop()
        self.zk.close()


def failover(ens, label):
    """Kills the leader under a writer; returns (seconds to a new quorum, killed sid, acked writes)."""
    leader = ens.wait_for_quorum(timeout=60)
    writer = Writer(ens.hosts())
    wait_until(lambda: len(writer.acked) >= 50, 30, "50 acknowledged writes before the kill")
    t0 = time.monotonic()
    ens.servers[leader].kill()
    rest = [s for s in ens.sids if s != leader]
    new = ens.wait_for_quorum(sids=rest, timeout=90)
    took = time.monotonic() - t0
    n = len(writer.acked)
    wait_until(lambda: len(writer.acked) >= n + 50, 60, "50 more acknowledged writes after the failover")
    writer.finish()
    say("  %s: leader %d killed; %d leads after %.2f s; %d writes acknowledged (%d retried)"
        % (label, leader, new, took, len(writer.acked), writer.errors))
    return took, leader, writer.acked


def case_three(work, failures):
    ens = ZooKeeperEnsemble(3, workdir=work, name="three", zabra_sids=(1, 2, 3))
    ens.start(wait=False)
    leader = ens.wait_for_quorum(timeout=60)
    say("[three] three zabra-nodes elected %d; modes %s" % (leader, ens.modes()))
    write_through_each(ens, "/each", 30)
    ens.wait_caught_up()
    say("  writes through each: the same %d nodes everywhere" % same_tree_everywhere(ens, work, "three-1"))
    took, killed, acked = failover(ens, "zabra-node")
    z = connect(ens.hosts([s for s in ens.sids if s != killed]))
    z.sync("/w")  # the server it reads from has applied every commit before this sync
    missing = [p for p in acked if z.exists(p) is None]
    z.stop()
    z.close()
    check(not missing, "%d acknowledged writes lost in the failover, e.g. %s" % (len(missing), missing[:3]))
    ens.start(killed)
    ens.wait_for_quorum(timeout=60)
    ens.wait_caught_up(timeout=60)
    say("  the old leader %d rejoined as %s: the same %d nodes everywhere, none of %d acknowledged writes lost"
        % (killed, ens.servers[killed].mode(), same_tree_everywhere(ens, work, "three-2"), len(acked)))
    zk = ZooKeeperEnsemble(3, workdir=work, name="zkref")
    zk.start(wait=False)
    zk_took, _, _ = failover(zk, "ZooKeeper (reference)")
    say("  failover: zabra-node %.2f s, ZooKeeper %.2f s on this machine (tickTime 500, initLimit 10)"
        % (took, zk_took))
    for s in zk.sids:
        if zk.servers[s].running:
            zk.servers[s].stop()
    files(ens, work, failures, "three")


def case_mixed_2zk(work, failures):
    ens = ZooKeeperEnsemble(3, workdir=work, name="mix2", zabra_sids=(3,))
    ens.start(wait=False)
    leader = ens.wait_for_quorum(timeout=60)
    check(leader == 3, "zabra-node 3 should lead (the larger sid), %d does" % leader)
    write_through_each(ens, "/each", 30)
    ens.wait_caught_up()
    say("[mixed-2zk] zabra-node leads ZooKeeper 1 and 2: the same %d nodes everywhere"
        % same_tree_everywhere(ens, work, "mix2-1"))
    for s in (1, 2):
        ens.servers[s].stop()
        z = connect(ens.hosts([3, 2 if s == 1 else 1]))
        for i in range(20):
            z.create("/while%d-%02d" % (s, i), b"y")
        z.stop()
        z.close()
        ens.start(s)
        ens.wait_for_quorum(timeout=60)
        ens.wait_caught_up(timeout=60)
    say("  ZooKeeper 1 and 2 restarted in turn behind writes and synced from zabra-node: the same %d nodes"
        % same_tree_everywhere(ens, work, "mix2-2"))
    files(ens, work, failures, "mixed-2zk")


def case_mixed_1zk(work, failures):
    for zabra, want in (((2, 3), "zabra-node"), ((1, 2), "ZooKeeper")):
        name = "mix1-%s" % "".join(map(str, zabra))
        ens = ZooKeeperEnsemble(3, workdir=work, name=name, zabra_sids=zabra)
        # ZooKeeper and one zabra-node first, as a quorum of two: a JVM starts
        # slower, and two zabra-nodes alone would be a quorum without it
        zk_sid = [s for s in ens.sids if s not in zabra][0]
        first = [zk_sid, zabra[0]]
        for s in first:
            ens.start(s, wait=False)
        ens.wait_for_quorum(sids=first, timeout=90)
        ens.start(wait=False)
        leader = ens.wait_for_quorum(timeout=60)
        leads = "zabra-node" if leader in zabra else "ZooKeeper"
        check(leads == want, "%s should lead, server %d (%s) does" % (want, leader, leads))
        write_through_each(ens, "/each", 30)
        ens.wait_caught_up()
        say("[mixed-1zk] zabra-node %s with ZooKeeper %d, %s %d leads: the same %d nodes everywhere"
            % (zabra, [s for s in ens.sids if s not in zabra][0], want, leader,
               same_tree_everywhere(ens, work, name)))
        files(ens, work, failures, name)


def files(ens, work, failures, label):
    for s in ens.sids:
        if ens.servers[s].running:
            ens.servers[s].stop()
    for s in ens.sids:
        node = ens.servers[s]
        if node.KIND != "node":
            continue
        rc, out = run_command([binary("zabra"), "verify", node.data_dir], "verify",
                              work.file("verify-%s-%d.txt" % (label, s)), 300)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        say("  zabra-node %d: zabra verify exit %d: %s" % (s, rc, last))
        if rc != 0:
            failures.add("%s: zabra verify on zabra-node %d: exit %d" % (label, s, rc))
        logs, snaps = run_tools(os.path.join(node.data_dir, "version-2"), work, failures)
        if logs == 0:
            failures.add("%s: zabra-node %d wrote no log" % (label, s))
        with open(node.proc.log, errors="replace") as f:
            if "digest mismatch" in f.read():
                failures.add("%s: zabra-node %d logged a digest mismatch" % (label, s))


def case_hostile(work, failures):
    """A zabra-node leader's quorum port: garbage, a 2 GiB buffer, a packet that is not FOLLOWERINFO,
    and an ACKEPOCH from a learner ahead of the leader each cost only that connection."""
    import socket
    import struct
    ens = ZabraEnsemble(3, workdir=work, name="hostile")
    ens.start()
    leader = ens.leader()
    port = ens.quorum_port[leader]

    def packet(ptype, zxid, data=None):
        body = struct.pack(">iq", ptype, zxid)
        body += struct.pack(">i", -1) if data is None else struct.pack(">i", len(data)) + data
        return body + struct.pack(">i", -1)
    info = struct.pack(">qiq", 9, 0x10000, 0)
    cases = (("garbage", b"\xff" * 64),
             ("a 2 GiB buffer", struct.pack(">iqi", 11, 0, 0x7fffffff)),
             ("an ACK before FOLLOWERINFO", packet(3, 0)),
             ("an ACKEPOCH from a learner ahead of the leader",
              packet(11, 9 << 32, info) + packet(18, (9 << 32) + 5, struct.pack(">i", 9))))
    for what, data in cases:
        s = socket.create_connection(("127.0.0.1", port), 5)
        s.sendall(data)
        check(closed_by_peer(s, 10), "the leader kept a learner connection after %s" % what)
        s.close()
    check(ens.leader(timeout=10) == leader, "the leader changed under hostile learner connections")
    z = connect(ens.hosts())
    z.create("/still-serving", b"y")
    z.stop()
    z.close()
    say("[hostile] zabra-node leader %d dropped %s; still leading, still serving"
        % (leader, ", ".join(w for w, _ in cases)))
    for s in ens.sids:
        ens.servers[s].stop()


CASES = {"three": case_three, "mixed-2zk": case_mixed_2zk, "mixed-1zk": case_mixed_1zk, "hostile": case_hostile}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    ap.add_argument("cases", nargs="*", choices=[[]] + list(CASES), help="default: all")
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra", "zabra-node")
    work = WorkDir("node-ensembles", keep=args.keep)
    say("work dir %s" % work)
    failures = Failures()
    for name in args.cases or list(CASES):
        CASES[name](work, failures)
    check(not failures.items, "; ".join(failures.items))
    say("node-ensembles: all cases passed")


if __name__ == "__main__":
    run(main)
