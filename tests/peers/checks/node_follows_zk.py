"""zabra-node follows a real ZooKeeper 3.8 leader: a mixed ensemble of 2 ZooKeeper + 1 zabra-node.

zabra-node is server 1, so it never wins an election against an equal ZooKeeper (it has no leader
role yet); ZooKeeper servers 2 and 3 start first and take writes. Then:

  snap     zabra-node joins empty: the leader syncs it with SNAP (its log says so). The tree read
           through each of the three servers is the same: every node's data, stat and children.
  clients  Through zabra-node: creates (plain, sequential, ephemeral), setData, delete, a passing
           and a failing multi, sync; a watch set on zabra-node fires on a change made through
           ZooKeeper; an ephemeral of a session on zabra-node goes when the session is closed.
           Each write is forwarded to the leader and answered once it comes back committed; every
           server shows it.
  diff     zabra-node is stopped, ZooKeeper takes writes, zabra-node restarts: a DIFF this time,
           and again the same tree on all three.
  files    `zabra verify` is clean on zabra-node's data dir; ZooKeeper's TxnLogToolkit and
           SnapshotFormatter read every file it wrote without complaint.

Run: python3 -m tests.peers.checks.node_follows_zk [-k]
"""
import argparse
import os
import re

from kazoo.exceptions import BadVersionError, NoNodeError

from tests.peers import WorkDir, ZooKeeperEnsemble, binary, connect, run, run_command, skip_unless, wait_until
from tests.peers.checks.node_zk_compat import run_tools
from tests.peers.checks.ensemble_common import Failures, check, same_tree_everywhere, say


def node_log_since(node, mark):
    with open(node.proc.log, errors="replace") as f:
        return f.read()[mark:]


def log_size(node):
    return os.path.getsize(node.proc.log) if os.path.exists(node.proc.log) else 0


def wait_synced(ens, node, mark, timeout=60):
    """Until zabra-node logs that it is synced; returns the sync kind it names."""
    def synced():
        m = re.search(r"synced \((DIFF|TRUNC|SNAP)\)", node_log_since(node, mark))
        return m.group(1) if m else None
    kind = wait_until(synced, timeout, "zabra-node to sync (log %s)" % node.proc.log)
    ens.wait_for_quorum(timeout=30)
    ens.wait_caught_up(timeout=30)
    return kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra", "zabra-node")
    work = WorkDir("node-follows-zk", keep=args.keep)
    ens = ZooKeeperEnsemble(3, workdir=work, name="mix", zabra_sids=(1,), four_letter="srvr,mntr,stat")
    node = ens.servers[1]
    say("work dir %s" % work)
    for s in (2, 3):
        ens.start(s, wait=False)
    leader = ens.wait_for_quorum(sids=[2, 3], timeout=90)
    say("ZooKeeper 2 and 3 up, leader %d" % leader)
    zk = connect(ens.hosts([2, 3]))
    zk.ensure_path("/app")
    for i in range(300):
        zk.create("/app/n%03d" % i, ("v%d" % i).encode() * 3)
    zk.create("/app/seq-", b"", sequence=True)
    zk.set("/app/n000", b"changed")
    zk.delete("/app/n001")

    # snap ----------------------------------------------------------------
    mark = log_size(node)
    node.start(wait=False)
    kind = wait_synced(ens, node, mark)
    say("[snap] zabra-node synced by %s; srvr mode %s" % (kind, node.mode()))
    check(kind == "SNAP", "an empty server joining after 300 writes: expected SNAP, got %s" % kind)
    check(node.mode() == "follower", "zabra-node's srvr Mode is %s, expected follower" % node.mode())
    say("  the same %d nodes through all three servers" % same_tree_everywhere(ens, work, "snap"))

    # clients -------------------------------------------------------------
    z1 = connect(node.hostport)
    fired = []
    z1.get("/app/n002", watch=lambda e: fired.append(e))
    check(z1.create("/via1", b"a") == "/via1", "create through zabra-node")
    seq = z1.create("/app/seq-", b"", sequence=True)
    check(seq == "/app/seq-0000000301", "sequential name through zabra-node: %s (301 creates under /app so far)" % seq)
    st = z1.set("/via1", b"bb")
    check(st.version == 1 and st.dataLength == 2, "setData's stat through zabra-node: %s" % (st,))
    z1.delete("/app/n003")
    t = z1.transaction()
    t.create("/m1", b"x")
    t.set_data("/via1", b"ccc", version=1)
    res = t.commit()
    check(res[0] == "/m1" and getattr(res[1], "version", None) == 2, "passing multi results: %s" % (res,))
    t = z1.transaction()
    t.create("/m2", b"x")
    t.set_data("/via1", b"d", version=99)
    res = t.commit()
    check(isinstance(res[1], BadVersionError) and not z1.exists("/m2"), "failing multi results: %s" % (res,))
    try:
        z1.set("/nope", b"x")
        check(False, "setData of a missing node through zabra-node did not fail")
    except NoNodeError:
        pass
    z1.sync("/app")
    zk.set("/app/n002", b"poke")
    wait_until(lambda: fired, 10, "the watch set through zabra-node to fire")
    check(fired[0].type == "CHANGED" and fired[0].path == "/app/n002", "watch event %s" % (fired[0],))
    eph = connect(node.hostport)
    eph.create("/eph", b"", ephemeral=True)
    zk.sync("/eph")  # another server: it has the create once it has answered a sync issued after it
    owner = zk.exists("/eph").ephemeralOwner
    check(owner == eph.client_id[0], "the ephemeral's owner on ZooKeeper %#x, the session %#x"
          % (owner, eph.client_id[0]))
    check((owner >> 56) == 1, "a session created through server 1 has 1 in its top byte: %#x" % owner)
    eph.stop()
    eph.close()
    wait_until(lambda: zk.exists("/eph") is None, 10, "the closed session's ephemeral to go")
    ens.wait_caught_up(timeout=30)
    say("[clients] writes, multis, sync, a watch, an ephemeral through zabra-node; the same %d nodes everywhere"
        % same_tree_everywhere(ens, work, "clients"))
    z1.stop()
    z1.close()

    # diff ----------------------------------------------------------------
    node.stop()
    for i in range(40):
        zk.create("/app/late%02d" % i, b"late")
    mark = log_size(node)
    node.start(wait=False)
    kind = wait_synced(ens, node, mark)
    check(kind == "DIFF", "a server 40 txns behind: expected DIFF, got %s" % kind)
    say("[diff] zabra-node synced by %s after a restart; the same %d nodes everywhere"
        % (kind, same_tree_everywhere(ens, work, "diff")))
    zk.stop()
    zk.close()

    # files ---------------------------------------------------------------
    node.stop()
    failures = Failures()
    rc, out = run_command([binary("zabra"), "verify", node.data_dir], "verify", work.file("verify.txt"), 300)
    say("[files] zabra verify: exit %d: %s" % (rc, out.strip().splitlines()[-1] if out.strip() else ""))
    if rc != 0:
        failures.add("zabra verify on zabra-node's data dir: exit %d" % rc)
    logs, snaps = run_tools(os.path.join(node.data_dir, "version-2"), work, failures)
    check(logs > 0 and snaps > 0, "zabra-node wrote %d logs and %d snapshots" % (logs, snaps))
    check(not failures.items, "; ".join(failures.items))
    with open(node.proc.log, errors="replace") as f:
        check("digest mismatch" not in f.read(), "zabra-node logged a digest mismatch")
    say("node-follows-zk: zabra-node followed a real ZooKeeper leader through SNAP and DIFF")


if __name__ == "__main__":
    run(main)
