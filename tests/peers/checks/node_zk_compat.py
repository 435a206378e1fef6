"""node-zk-compat: what zabra-node writes is real ZooKeeper data.

After a workload on zabra-node, (a) ZooKeeper's own tools read every file
zabra-node wrote without complaint (TxnLogToolkit -d on every log,
SnapshotFormatter -d on every snapshot), and (b) a real Apache ZooKeeper 3.8
started on a copy of zabra-node's data dir serves exactly the tree zabra-node
served: for every path the data, the whole stat, the ACLs and the children,
as a digest-authenticated client sees them; and the ephemerals of a session
that was still open when zabra-node stopped belong to that session there.

  1. zabra-node (tickTime=2000, snapCount=40, preAllocSize=64 KB, extended
     types, container checks every 10 min);
  2. node_zk_compat_workload: every kind of create, set, setACL, delete,
     multis (committed and rolled back), failed writes, bulk writes over
     several snapshots; one session ("holder", 30 s timeout) owns
     ephemerals and is never closed;
  3. the tree as zabra-node serves it, srvr, dump; SIGTERM to zabra-node
     while the holder session is still open (exit status 0 required);
  4. ZooKeeper 3.8 on a copy of the data dir: its srvr, dump and tree; its
     log must show no error or exception;
  5. `zabra verify` on zabra-node's data dir; TxnLogToolkit -d and
     SnapshotFormatter -d on every file zabra-node wrote: any non-zero exit,
     exception or error line fails;
  6. the trees (and srvr's Zxid and Node count, and the sessions with
     ephemerals in dump) compared.

    python3 -m tests.peers.checks.node_zk_compat [-k]

ZABRA_NODE=zk puts a real ZooKeeper in zabra-node's place (the check must
then pass).  Exit 0 passed, 1 failed (reasons at the end), 77 a peer missing.
"""
import argparse
import os
import re
import shutil

from tests.peers import (Proc, WorkDir, ZooKeeperServer, binary, node_under_test, run, run_command, skip_unless,
                         tool_argv, wait_until, zookeeper_stands_in)
from tests.peers.checks.node_zk_compat_workload import compare, dump_tree, holder_ephemerals, load_json

SETTINGS = dict(tick_time=2000, snap_count=40, prealloc_kb=64, stop_timeout=30,
                extra={"zookeeper.extendedTypesEnabled": "true", "extendedTypesEnabled": "true",
                       "znode.container.checkIntervalMs": 600000})
TXN_LOG_TOOLKIT = "org.apache.zookeeper.server.persistence.TxnLogToolkit"
SNAPSHOT_FORMATTER = "org.apache.zookeeper.server.SnapshotFormatter"

# ZooKeeper's log: errors and exceptions fail (a client closing its socket is routine)
ZK_LOG_ERROR = re.compile(r" ERROR |Exception|Digest mismatch|digest mismatch")
ZK_LOG_ROUTINE = re.compile(r"EndOfStreamException|SLF4J")
ZK_LOG_ROUTINE_WARN = re.compile(r"EndOfStreamException|Unable to read additional data")
# the tools' data lines (TxnLogToolkit: one per txn, starting with its date;
# SnapshotFormatter: "  data = <base64>") may hold any text
TOOL_DATA_LINE = re.compile(r"^[0-9]+/[0-9]+/[0-9]+, |^  data = ")
TOOL_BAD_LINE = re.compile(r"Exception|ERROR|Error|error:|CRC|Unreasonable|Invalid|invalid|corrupt|^\s+at [a-z]+\.")


class Failures(list):
    def add(self, text):
        self.append(text)
        print("node-zk-compat: FAIL: " + text, flush=True)


def run_workload(node, work):
    """Starts the workload; returns (its Proc, still holding its session) once it said READY."""
    state = work.file("state.json")
    wl = Proc(["/usr/bin/python3", "-m", "tests.peers.checks.node_zk_compat_workload", node.hostport, state],
              "workload", work.file("workload.log")).start()

    def ready():
        wl.check_alive()
        return next((l for l in wl.log_text().splitlines() if l.startswith("READY")), None)
    print("workload done: %s" % wait_until(ready, 60, "the workload to say READY (log %s)" % wl.log), flush=True)
    return wl, load_json(state)


def ephemeral_sessions(dump_text):
    """(session, path) lines of 4lw dump's "Sessions with Ephemerals", sorted."""
    out, on, sid = [], False, None
    for line in dump_text.replace("\r", "").splitlines():
        if line.startswith("Sessions with Ephemerals"):
            on = True
        elif on and line.startswith("0x"):
            sid = line.split()[0].rstrip(":")
        elif on and re.match(r"^[ \t]+/", line):
            out.append("%s %s" % (sid, line.strip()))
        elif on:
            break
    return sorted(out)


def check_zk_log(zk, failures):
    text = zk.proc.log_text()
    warns = [l for l in text.splitlines() if " WARN " in l and not ZK_LOG_ROUTINE_WARN.search(l)]
    for l in warns[:10]:
        print("    zk log WARN: " + l.split(" WARN ", 1)[1])
    errors = [l for l in text.splitlines() if ZK_LOG_ERROR.search(l) and not ZK_LOG_ROUTINE.search(l)]
    for l in errors[:10]:
        print("    zk log: " + l)
    if errors:
        failures.add("ZooKeeper logged errors or exceptions while loading zabra-node's data (see %s)" % zk.log)
    for l in text.splitlines():
        if re.search(r"Reading snapshot|Snapshot loaded|digest in the snapshot", l):
            print("    zk log: " + re.sub(r"^.* INFO [^ ]+ - ", "", l))


def run_tools(version2, work, failures):
    """ZooKeeper's TxnLogToolkit / SnapshotFormatter -d on every file; returns (logs, snapshots)."""
    counts = {"log.": 0, "snapshot.": 0}
    for name in sorted(os.listdir(version2)):
        kind = next((k for k in counts if name.startswith(k)), None)
        if kind is None:
            continue
        counts[kind] += 1
        tool = TXN_LOG_TOOLKIT if kind == "log." else SNAPSHOT_FORMATTER
        try:
            rc, out = run_command(tool_argv(tool, "-d", os.path.join(version2, name),
                                            jvm_opts=["-XX:TieredStopAtLevel=1"]),
                                  tool.rsplit(".", 1)[1], work.file("tools", name + ".txt"), 120)
        except TimeoutError as e:
            failures.add("%s -d %s: %s" % (tool.rsplit(".", 1)[1], name, e))
            continue
        bad = [l for l in out.splitlines()
               if not TOOL_DATA_LINE.search(l) and TOOL_BAD_LINE.search(l) and "SLF4J" not in l][:5]
        if rc != 0 or bad:
            failures.add("%s -d %s: exit %s%s" % (tool.rsplit(".", 1)[1], name, rc,
                                                  "; output: " + " ".join(bad) if bad else ""))
        summary = [l for l in out.splitlines() if ("EOF reached" if kind == "log." else "ZNode Details") in l]
        print("    %s -d %-14s %s" % (tool.rsplit(".", 1)[1], name,
                                      summary[0] if summary else '(no "EOF reached" line)' if kind == "log." else ""))
    return counts["log."], counts["snapshot."]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir even on success")
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra", *(() if zookeeper_stands_in() else ("zabra-node",)))
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    work = WorkDir("node-zk-compat", keep=args.keep)
    failures = Failures()

    # 1-3. zabra-node, the workload, the tree, SIGTERM
    node = node_under_test(name="node", workdir=work, **SETTINGS)
    print("%s on %s, work dir %s" % (type(node).__name__, node.hostport, work.path), flush=True)
    node.start()
    wl, state = run_workload(node, work)
    n_nodes = dump_tree(node, work.file("node", "tree.json"))
    node_srvr, node_dump = node.srvr(), node.four_letter("dump")
    print("zabra-node: %d nodes; srvr Zxid %s, Node count %s"
          % (n_nodes, node_srvr.get("Zxid"), node_srvr.get("Node count")), flush=True)
    print("SIGTERM to zabra-node (the holder session is still open)", flush=True)
    rc = node.stop()
    if rc == -9:
        failures.add("zabra-node did not stop within %d s of SIGTERM" % node.stop_timeout)
    elif not (rc == 0 or (rc in (143, -15) and zookeeper_stands_in())):
        failures.add("zabra-node exited with status %s after SIGTERM" % rc)
    wl.kill()                 # the holder's session is never closed
    version2 = os.path.join(node.data_dir, "version-2")
    for name in sorted(os.listdir(version2)):
        print("    %-20s %9d bytes" % (name, os.path.getsize(os.path.join(version2, name))))

    # 4. real ZooKeeper on a copy
    copy = os.path.join(work.sub("zk"), "data")
    shutil.copytree(node.data_dir, copy, symlinks=True)
    zk = ZooKeeperServer(name="zk", workdir=work, data_dir=copy, ready_log_line="Snapshot loaded in", **SETTINGS)
    print("ZooKeeper on a copy, %s" % zk.hostport, flush=True)
    zk.start()
    zk_srvr, zk_dump = zk.srvr(), zk.four_letter("dump")
    zk_tree = work.file("zk", "tree.json")
    try:
        print("ZooKeeper: %d nodes; srvr Zxid %s, Node count %s"
              % (dump_tree(zk, zk_tree), zk_srvr.get("Zxid"), zk_srvr.get("Node count")), flush=True)
    except Exception as e:          # reported with the rest: the tools still run
        failures.add("could not dump ZooKeeper's tree: %s: %s" % (type(e).__name__, e))
        zk_tree = None
    zk.stop()
    check_zk_log(zk, failures)

    # 5. zabra verify, ZooKeeper's own tools on every file
    vrc, vout = run_command([binary("zabra"), "verify", node.data_dir], "verify", work.file("verify.txt"), 300)
    print("zabra verify on zabra-node's data dir: exit %s; %s" % (vrc, (vout.strip().splitlines() or [""])[-1]))
    if vrc != 0:
        print("\n".join("    " + l for l in vout.splitlines()[:30]))
        failures.add("zabra verify exit %s on zabra-node's data dir after a clean stop" % vrc)
    nlogs, nsnaps = run_tools(version2, work, failures)
    if not (nlogs and nsnaps):
        failures.add("expected logs and snapshots in zabra-node's data dir, found %d logs, %d snapshots"
                     % (nlogs, nsnaps))
    print("ZooKeeper's tools: %d logs, %d snapshots" % (nlogs, nsnaps), flush=True)

    # 6. compare
    print("comparing the trees (zabra-node before SIGTERM vs ZooKeeper on the copy)", flush=True)
    if zk_tree:
        for p in compare(load_json(work.file("node", "tree.json")), load_json(zk_tree), state):
            failures.add("zabra-node's tree and ZooKeeper's differ: " + p)
    for k in ("Zxid", "Node count"):
        if node_srvr.get(k) == zk_srvr.get(k):
            print("srvr %s: %s on both" % (k, node_srvr.get(k)))
        else:
            failures.add("srvr %s: zabra-node %s, ZooKeeper %s" % (k, node_srvr.get(k), zk_srvr.get(k)))
    want = holder_ephemerals(state)
    zk_eph = ephemeral_sessions(zk_dump)
    if zk_eph != want:
        print("    4lw dump on ZooKeeper (sessions with ephemerals):\n      " + "\n      ".join(zk_eph))
        print("    expected (the live holder session):\n      " + "\n      ".join(want))
        failures.add("4lw dump: ZooKeeper does not track exactly the holder session's ephemerals")
    else:
        print("4lw dump on ZooKeeper: the holder session (still live) and its %d ephemerals, nothing else" % len(want))
    if node_dump.strip() and ephemeral_sessions(node_dump) != zk_eph:     # (zabra-node may answer dump with nothing)
        failures.add("4lw dump: zabra-node and ZooKeeper list different sessions with ephemerals")

    if failures:
        print("\nnode-zk-compat: FAILED (%d problem(s)); work dir %s:" % (len(failures), work.path))
        print("\n".join("  - " + f for f in failures))
        return 1
    print("PASSED: ZooKeeper's tools read all %d logs and %d snapshots; ZooKeeper 3.8 serves the same %d nodes"
          % (nlogs, nsnaps, n_nodes))
    return 0


if __name__ == "__main__":
    run(main)
