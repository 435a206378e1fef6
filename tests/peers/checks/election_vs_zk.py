"""zabra-node's election (QuorumCnxManager's connections and FastLeaderElection) with real ZooKeeper 3.8 servers.

zabra-node cannot lead or follow yet, so its election runs alone, in the test tool
zabra_election_probe: it takes one server's place in a 3-server ensemble of real QuorumPeerMain
servers, elects, prints its decision and answers notifications as the decided server would.
Three cases, each on its own ensemble, free ports on 127.0.0.1:

  join       ZooKeeper 1 and 2 run an epoch with writes; the probe, as server 3, joins from their
             FOLLOWING/LEADING answers: FOLLOWING the leader srvr names, with the peer epoch in the
             leader's currentEpoch file (ZOOKEEPER-1732).
  probe-wins ZooKeeper 1 and the probe as server 3, both fresh, elect together: the probe (larger
             sid) LEADS, and ZooKeeper logs that it follows and connects to server 3's quorum port.
             The probe, being larger, keeps the connection ZooKeeper opened.
  zk-wins    The probe as server 1 and ZooKeeper 3: ZooKeeper LEADS, the probe FOLLOWS 3. The probe,
             being smaller, sends its header and hangs up; ZooKeeper connects back.
  hostile    The probe alone: connections naming a sid not in the config, announcing a 2 GiB frame or
             a 1 MiB address, or an unknown protocol, are each closed by the probe, which goes on
             electing (and, alone, decides nothing).

Run: python3 -m tests.peers.checks.election_vs_zk [-k] [case...]
"""
import argparse
import json
import os
import re

from tests.peers import WorkDir, ZooKeeperEnsemble, accepts, connect, run, skip_unless, wait_until
from tests.peers.checks.ensemble_common import check
from tests.peers.procs import Proc
from tests.peers.ports import closed_by_peer
from tests.peers.skip import binary


def probe(ens, sid, work, name, zxid="0", epoch=0, timeout=40, linger=0):
    """Starts the probe in server `sid`'s place (its zoo.cfg and myid); returns the Proc."""
    server = ens.servers[sid]
    server.write_config(force=True)
    log = os.path.join(str(work), "%s.log" % name)
    out = os.path.join(str(work), "%s.json" % name)
    p = Proc([binary("zabra_election_probe"), server.cfg_path, zxid, str(epoch), str(timeout), str(linger)],
             name, log, stdout=out)
    p.start()
    p.out_path = out
    return p


def decision(p, timeout):
    rc = p.wait(timeout)
    with open(p.out_path) as f:
        text = f.read().strip()
    check(rc == 0 and text, "the probe decided nothing (exit %s); log:\n%s" % (rc, p.log_tail(30)))
    d = json.loads(text.splitlines()[-1])
    print("    probe: %s" % d)
    return d


def zk_log_has(server, pattern, timeout):
    def found():
        with open(server.proc.log, errors="replace") as f:
            return re.search(pattern, f.read())
    return wait_until(found, timeout, "%r in %s" % (pattern, server.proc.log))


def case_join(work):
    ens = ZooKeeperEnsemble(3, workdir=work, name="join")
    for s in (1, 2):
        ens.start(s, wait=False)
    leader = ens.wait_for_quorum(sids=[1, 2], timeout=60)
    zk = connect(ens.hosts([1, 2]))
    for i in range(5):
        zk.create("/e%d" % i, b"x")
    zk.stop()
    with open(os.path.join(ens.servers[leader].data_dir, "version-2", "currentEpoch")) as f:
        epoch = int(f.read().strip())
    d = decision(probe(ens, 3, work, "probe-join"), 60)
    check(d["state"] == "FOLLOWING", "the probe should follow, it decided %s" % d["state"])
    check(d["leader"] == leader, "the probe follows %s, srvr says the leader is %s" % (d["leader"], leader))
    check(d["peer_epoch"] == epoch, "peer epoch %s, the leader's currentEpoch is %s" % (d["peer_epoch"], epoch))
    for s in (1, 2):
        ens.servers[s].stop()
    return "FOLLOWING %d at peer epoch %d, in %d ms" % (leader, epoch, d["ms"])


def case_probe_wins(work):
    ens = ZooKeeperEnsemble(3, workdir=work, name="wins")
    ens.start(1, wait=False)
    p = probe(ens, 3, work, "probe-wins", linger=15)
    d = decision(p, 60)
    check(d["state"] == "LEADING" and d["leader"] == 3, "the probe should lead, it decided %s" % d)
    quorum_port = ens.quorum_port[3]
    zk_log_has(ens.servers[1], r"FOLLOWING - LEADER ELECTION TOOK", 15)
    zk_log_has(ens.servers[1], r"connecting to [^\n]*:%d" % quorum_port, 15)
    p.wait(30)
    ens.servers[1].stop()
    return "LEADING, in %d ms; ZooKeeper 1 follows and connects to server 3's quorum port %d" % (d["ms"], quorum_port)


def case_zk_wins(work):
    ens = ZooKeeperEnsemble(3, workdir=work, name="zkwins")
    ens.start(3, wait=False)
    p = probe(ens, 1, work, "probe-zkwins", linger=5)
    d = decision(p, 60)
    check(d["state"] == "FOLLOWING" and d["leader"] == 3, "the probe should follow 3, it decided %s" % d)
    zk_log_has(ens.servers[3], r"LEADING - LEADER ELECTION TOOK", 15)
    p.wait(30)
    ens.servers[3].stop()
    return "FOLLOWING 3, in %d ms; ZooKeeper 3 leads" % d["ms"]


def case_hostile(work):
    import socket
    import struct
    ens = ZooKeeperEnsemble(3, workdir=work, name="hostile")
    p = probe(ens, 1, work, "probe-hostile", timeout=12)
    port = ens.election_port[1]
    wait_until(lambda: accepts(port), 10, "the probe listening")

    def header(sid):
        addr = b"127.0.0.1:1"
        return struct.pack(">qqi", -65536, sid, len(addr)) + addr
    results = []
    for what, data in (("a sid not in the config", header(9)),
                       ("a frame of 2 GiB", header(2) + struct.pack(">i", 0x7fffffff)),
                       ("an address length of 1 MiB", struct.pack(">qqi", -65536, 2, 1 << 20)),
                       ("an unknown protocol", struct.pack(">qqi", -7, 2, 11) + b"127.0.0.1:1")):
        s = socket.create_connection(("127.0.0.1", port), 5)
        s.sendall(data)
        check(closed_by_peer(s, 8), "the probe kept a connection with %s" % what)
        s.close()
        results.append(what)
    check(p.running, "the probe died of hostile election bytes; log:\n%s" % p.log_tail(20))
    rc = p.wait(30)
    check(rc == 1, "alone, the probe cannot decide: exit %s, expected 1" % rc)
    with open(p.log, errors="replace") as f:
        text = f.read()
    check("not a voter in the config" in text, "no word of the unknown sid in the probe's log")
    return "dropped %s; still electing, and undecided alone" % ", ".join(results)


CASES = {"join": case_join, "probe-wins": case_probe_wins, "zk-wins": case_zk_wins, "hostile": case_hostile}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    ap.add_argument("cases", nargs="*", choices=[[]] + list(CASES), help="default: all")
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra_election_probe")
    work = WorkDir("election-vs-zk", keep=args.keep)
    print("work dir %s" % work)
    for name in args.cases or list(CASES):
        print("[%s]" % name)
        print("  %s" % CASES[name](work))
    print("election-vs-zk: all %d cases agree" % len(args.cases or CASES))


if __name__ == "__main__":
    run(main)
