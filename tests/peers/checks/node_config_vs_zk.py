"""zabra-node reads an ensemble's zoo.cfg as ZooKeeper 3.8's QuorumPeerMain does.

For each config below, Debian's ZooKeeper (QuorumPeerMain, the ensemble entry point) and zabra-node
are started on it in turn, each on its own data dir and free ports on 127.0.0.1, and what each
decides is read from its log and exit status:

  standalone  ZooKeeper: "running in standalone mode"; zabra-node: "serving on"
  quorum      ZooKeeper: "New election" (it runs FastLeaderElection); zabra-node: "LOOKING" (it runs its
              election), or, for what it does not implement (observers, reconfigEnabled), a refusal saying so
  error       ZooKeeper exits abnormally; zabra-node exits 2, and its message is ZooKeeper's own
              words, found in ZooKeeper's log (where the case says the words are the same)

ZooKeeper's verdict is the oracle: zabra-node's must correspond to it.  Each case also says what
ZooKeeper is expected to decide, so a case that stops testing what it was written for shows.
Run: python3 -m tests.peers.checks.node_config_vs_zk [-k] [case...]
"""
import argparse
import os
import re

from tests.peers import WorkDir, ZabraNode, ZooKeeperServer, free_ports, run, skip_unless, wait_until
from tests.peers.ports import HOST
from tests.peers.zookeeper import QUORUM_MAIN


class Case:
    def __init__(self, name, zk, servers=(), extra=None, myid=1, words=True, ours=None):
        """servers: the server.N lines, as (sid, template) with {q} {e} {c} for free ports;
        extra: more keys; myid: an int, a raw string, or None (no file); zk: what ZooKeeper
        decides; words: zabra-node's error message is ZooKeeper's; ours: the text of
        zabra-node's own refusal, where ZooKeeper runs a config zabra-node refuses."""
        self.name, self.zk, self.servers, self.extra = name, zk, servers, dict(extra or {})
        self.myid, self.words, self.ours = myid, words, ours


LIMITS = {"initLimit": 5, "syncLimit": 2}
THREE = [(1, "{h}:{q}:{e}"), (2, "{h}:{q}:{e}"), (3, "{h}:{q}:{e}")]
CASES = [
    Case("no-server-lines", "standalone", myid=None),
    Case("one-server-line", "standalone", servers=[(1, "{h}:{q}:{e}")], extra=LIMITS),
    Case("three-servers", "quorum", servers=THREE, extra=LIMITS),
    Case("one-server-standalone-disabled", "quorum", servers=[(1, "{h}:{q}:{e}")],
         extra=dict(LIMITS, standaloneEnabled="false")),
    Case("client-port-on-server-line", "quorum", servers=[(1, "{h}:{q}:{e};{h}:{c}"), (2, "{h}:{q}:{e}"),
                                                          (3, "{h}:{q}:{e}")], extra=LIMITS),
    Case("no-initLimit", "error", servers=THREE, extra={"syncLimit": 2}),
    Case("no-syncLimit", "error", servers=THREE, extra={"initLimit": 5}),
    Case("no-myid", "error", servers=THREE, extra=LIMITS, myid=None),
    Case("myid-not-a-number", "error", servers=THREE, extra=LIMITS, myid="one"),
    Case("myid-not-listed", "error", servers=THREE, extra=LIMITS, myid=4),
    Case("same-quorum-and-election-port", "error", servers=[(1, "{h}:{q}:{q}"), (2, "{h}:{q}:{e}"),
                                                            (3, "{h}:{q}:{e}")], extra=LIMITS),
    Case("too-few-ports", "error", servers=[(1, "{h}:{q}"), (2, "{h}:{q}:{e}"), (3, "{h}:{q}:{e}")],
         extra=LIMITS),
    Case("port-out-of-range", "error", servers=[(1, "{h}:70000:{e}"), (2, "{h}:{q}:{e}"), (3, "{h}:{q}:{e}")],
         extra=LIMITS),
    Case("multiple-addresses", "error", servers=[(1, "{h}:{q}:{e}|{h}:{q2}:{e2}"), (2, "{h}:{q}:{e}"),
                                                 (3, "{h}:{q}:{e}")], extra=LIMITS),
    Case("unknown-peer-type", "error", servers=[(1, "{h}:{q}:{e}:voter"), (2, "{h}:{q}:{e}"),
                                                (3, "{h}:{q}:{e}")], extra=LIMITS),
    Case("electionAlg-1", "error", servers=THREE, extra=dict(LIMITS, electionAlg=1)),
    Case("client-port-differs", "error", servers=[(1, "{h}:{q}:{e};{h}:{c2}"), (2, "{h}:{q}:{e}"),
                                                  (3, "{h}:{q}:{e}")], extra=LIMITS, words=False),
    Case("observers-without-participants", "error", servers=[(1, "{h}:{q}:{e}:observer")], extra=LIMITS),
    Case("observer-in-ensemble", "quorum", servers=THREE + [(4, "{h}:{q}:{e}:observer")], extra=LIMITS,
         ours="does not implement observers"),
    Case("reconfig-enabled", "quorum", servers=THREE, extra=dict(LIMITS, reconfigEnabled="true"),
         ours="does not implement dynamic reconfiguration"),
]


def server_lines(case):
    lines = {}
    for sid, template in case.servers:
        q, e, q2, e2 = free_ports(4)
        lines["server.%d" % sid] = template.format(h=HOST, q=q, e=e, q2=q2, e2=e2, c="{c}", c2="{c2}")
    return lines


def configure(server, case, lines):
    """server.N lines (the client port placeholders filled in) and the myid file."""
    c2 = free_ports(1)[0]
    extra = {k: v.format(c=server.port, c2=c2) for k, v in lines.items()}
    extra.update(case.extra)
    server.extra = extra
    server.write_config(force=True)
    myid = os.path.join(server.data_dir, "myid")
    if case.myid is None:
        if os.path.exists(myid):
            os.unlink(myid)
    else:
        with open(myid, "w") as f:
            f.write("%s\n" % case.myid)


def decide(server, patterns, timeout=60.0):
    """Starts the server and waits until it exits or logs one of the patterns
    {verdict: text}; returns (verdict or "exited", exit status, log text)."""
    mark = server.proc.log_size()
    server.proc.argv = server.argv()
    server.proc.start()

    def outcome():
        text = server.proc.log_text(mark)
        for verdict, pattern in patterns.items():
            if pattern in text:
                return verdict
        return "exited" if not server.proc.running else None
    verdict = wait_until(outcome, timeout, "%s to decide on its config" % server.name, interval=0.1)
    status = server.proc.stop(10) if server.proc.running else server.proc.wait(10)
    return verdict, status, server.proc.log_text(mark)


def zabra_message(text):
    """What zabra-node said when it refused to start (without the file:line prefix)."""
    m = re.search(r"cannot start: (.*)", text)
    if not m:
        return None
    return re.sub(r"^\S+:\d+: ", "", m.group(1)).strip()


def check(case, work):
    lines = server_lines(case)
    zk = ZooKeeperServer(name="zk-" + case.name, workdir=work, main_class=QUORUM_MAIN, myid=None)
    configure(zk, case, lines)
    zk_verdict, zk_status, zk_log = decide(zk, {"quorum": "New election. My id",
                                                "standalone": "running in standalone mode"})
    if zk_verdict == "exited":
        zk_verdict = "error"
    node = ZabraNode(name="node-" + case.name, workdir=work, myid=None)
    configure(node, case, lines)
    node_verdict, node_status, node_log = decide(node, {"quorum": "LOOKING: myid", "standalone": "serving on"},
                                                 timeout=30.0)
    said = zabra_message(node_log) if node_verdict == "exited" else None
    problems = []
    if zk_verdict != case.zk:
        problems.append("ZooKeeper decided %s, the case expects %s (status %s)" % (zk_verdict, case.zk, zk_status))
    if zk_verdict == "standalone" and node_verdict != "standalone":
        problems.append("zabra-node did not serve standalone: %s" % (said or node_log[-400:]))
    if zk_verdict == "quorum" and not case.ours:
        if node_verdict != "quorum":
            problems.append("zabra-node did not look for a leader (verdict %s, status %s): %s"
                            % (node_verdict, node_status, said or node_log[-400:]))
    elif zk_verdict in ("quorum", "error"):
        if node_verdict != "exited" or node_status != 2 or not said:
            problems.append("zabra-node did not refuse with exit 2 (verdict %s, status %s)" % (node_verdict, node_status))
        elif zk_verdict == "quorum":
            if case.ours not in said:
                problems.append("zabra-node refused a config ZooKeeper runs with %r; expected %r" % (said, case.ours))
        elif "ensemble" in said or "does not implement" in said:
            problems.append("zabra-node took a config ZooKeeper refuses for a valid one: %r" % said)
        elif case.words and said not in zk_log:
            problems.append("zabra-node's words %r are not in ZooKeeper's log" % said)
    summary = "ZooKeeper %-10s zabra-node %s" % (zk_verdict, said or node_verdict)
    return problems, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="store_true", help="keep the work dir")
    ap.add_argument("cases", nargs="*", help="run only these cases (names above)")
    args = ap.parse_args()
    skip_unless("zookeeper", "zabra-node")
    work = WorkDir("node-config-vs-zk", keep=args.k)
    cases = [c for c in CASES if not args.cases or c.name in args.cases]
    failed = 0
    for case in cases:
        problems, summary = check(case, work)
        print("%s %-32s %s" % ("FAIL" if problems else "ok  ", case.name, summary))
        for p in problems:
            print("       " + p)
        failed += bool(problems)
    print("node-config-vs-zk: %d of %d case(s) as ZooKeeper decides (work dir %s)"
          % (len(cases) - failed, len(cases), work.path))
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
