"""Captures what Apache ZooKeeper 3.8 servers send each other on the election
and quorum ports into tests/fixtures/zk-quorum/ (raw bytes, one file per
connection and direction), for the quorum codec tests
(tests/test_node_election_wire.cpp).

A real 3-server ensemble (Debian's /usr/share/java/zookeeper.jar) runs on
127.0.0.1 with proxies on every link (tests/peers ZooKeeperEnsemble with
proxies=True), each recording what passes.  Servers 1 and 2 elect a leader
and take 600 creates; server 3 then joins, empty, and is sent the leader's
tree (SNAP); a few writes go through all three (kazoo); all are stopped by PID:

  zoo<sid>.cfg                  the config each server ran with (its server.N
                                lines name the proxies it reaches the others by)
  <kind><src>-<dst>.<n>.up      bytes server src sent on its n-th connection
                                to dst's <kind> port (election or quorum)
  <kind><src>-<dst>.<n>.down    what dst sent back on that connection
  state.txt                     key=value: the leader's sid, and every server's
                                mode, zxid and epoch files as it reported them
                                after the run

Environment: ZK_QUORUM_DEST (the default --out), JAVA.
"""
import logging
import os

from .. import ZooKeeperEnsemble, WorkDir, connected, run
from ..skip import missing
from . import common

log = logging.getLogger("makers")
LATE_JOINER_BEHIND = 600  # txns: more than the leader's committed log keeps


def capture(work, out):
    # snapshotSizeFactor=0: a learner further behind than the leader's
    # in-memory committed log (500 txns) gets a SNAP rather than a DIFF from
    # the txn log files, so the capture holds both kinds of sync.
    ens = ZooKeeperEnsemble(3, workdir=work, name="zk", proxies=True, tick_time=500,
                            jvm_props={"zookeeper.snapshotSizeFactor": "0"})
    for link in ens._links.values():
        link.record = True
    try:
        for s in (1, 2):
            ens.start(s, wait=False)
        ens.wait_for_quorum([1, 2])
        with connected(ens.hosts([1, 2])) as zk:
            for i in range(LATE_JOINER_BEHIND):
                zk.create("/before3-%04d" % i, b"")
        ens.start(3)  # empty, 600 txns behind: SNAP
        leader = ens.wait_for_quorum()
        log.info("leader: %d", leader)
        with connected(ens) as zk:
            zk.create("/fixture", b"x")
            zk.set("/fixture", b"y")
            zk.delete("/fixture")
        modes = ens.modes()
        zxids = {s: ens.servers[s].srvr().get("Zxid") for s in ens.sids}
    finally:
        ens.close()
    os.makedirs(out, exist_ok=True)
    for s in ens.sids:
        with open(ens.servers[s].cfg_path) as f:
            cfg = f.read()
        with open(os.path.join(out, "zoo%d.cfg" % s), "w") as f:
            f.write(cfg.replace(ens.servers[s].data_dir, "DATADIR"))
    for (src, dst, kind), link in sorted(ens._links.items()):
        for n, rec in enumerate(link.recordings):
            for direction in ("up", "down"):
                with open(os.path.join(out, "%s%d-%d.%d.%s" % (kind, src, dst, n, direction)), "wb") as f:
                    f.write(bytes(rec[direction]))
    with open(os.path.join(out, "state.txt"), "w") as f:
        f.write("leader=%d\n" % leader)
        for s in ens.sids:
            v2 = os.path.join(ens.servers[s].data_dir, "version-2")
            epochs = {}
            for name in ("acceptedEpoch", "currentEpoch"):
                path = os.path.join(v2, name)
                epochs[name] = open(path).read().strip() if os.path.exists(path) else ""
            f.write("server.%d.mode=%s\nserver.%d.zxid=%s\nserver.%d.acceptedEpoch=%s\nserver.%d.currentEpoch=%s\n"
                    % (s, modes.get(s), s, zxids[s], s, epochs["acceptedEpoch"], s, epochs["currentEpoch"]))


def main():
    ap = common.parser("make-quorum-fixtures", __doc__, "tests/fixtures/zk-quorum", "ZK_QUORUM_DEST")
    args = ap.parse_args()
    common.setup_logging()
    why = missing("zookeeper") or missing("kazoo")
    if why:
        raise SystemExit("make-quorum-fixtures: error: " + why)
    work = WorkDir("quorum-fixtures", keep=args.keep)
    out = work.sub("out")
    capture(work, out)
    common.write_manifest(out, "scripts/make-quorum-fixtures", "raw bytes captured from real servers")
    common.install(out, args.out)


if __name__ == "__main__":
    run(main)
