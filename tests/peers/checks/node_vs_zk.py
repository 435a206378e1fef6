"""node-vs-zk: conformance of zabra-node with a real Apache ZooKeeper 3.8.

For each server (first the real ZooKeeper, then zabra-node), with the same
zoo.cfg keys (own dataDir and dataLogDir, a free port on 127.0.0.1,
tickTime=1000, snapCount=40, preAllocSize=64, extendedTypesEnabled=true,
znode.container.checkIntervalMs=1000):
  1. start it and run node_workload against it (one JSON line per step,
     normalized), then stop it;
  2. restart it on the same data dir (recovery) and drive ZooKeeper's own CLI
     (org.apache.zookeeper.ZooKeeperMain) with one batch of commands; stop it
     and normalize the CLI's output (log noise, session ids, dates).
Then ZooKeeper's outputs are diffed against zabra-node's: they must be
identical.

    python3 -m tests.peers.checks.node_vs_zk [--zk-only] [-k]

ZABRA_NODE=zk runs a second real ZooKeeper in zabra-node's place (the
check must then pass).  The old script's ZABRA_NODE_CMD (a path, or "zk")
and NODE_VS_ZK_KEEP (as -k) are still read.  Exit 0 identical (or --zk-only ran to its end),
1 differences or a failure, 2 usage, 77 a peer missing.
"""
import argparse
import difflib
import os
import re
import time
from datetime import datetime, timezone

from tests.peers import (WorkDir, ZooKeeperServer, node_under_test, run, run_command, skip_unless, tool_argv,
                         zookeeper_stands_in)

SERVER_SETTINGS = dict(tick_time=1000, snap_count=40, prealloc_kb=64,
                       extra={"extendedTypesEnabled": "true", "znode.container.checkIntervalMs": 1000})
WORKLOAD_DEADLINE = 600
CLI_DEADLINE = 180

# The CLI batch, run after a restart on the same data dir.  A "stat" of a
# missing /__zkcli/NN node is a section marker in the output.
CLI_COMMANDS = """\
stat /__zkcli/01-recovered-state
ls /
ls -R /p
get -s /p
get -s /secure
getAcl /secure
stat /ttl-kept
stat /__zkcli/02-create
create /cli top
create /cli dup
create -e /cli/eph ephemeral
create -s /cli/seq- s
create -s -e /cli/eseq-
create -c /cli/ctr
create -t 100000 /cli/ttl t
create /cli/nope/x
stat /__zkcli/03-get-set
get -s /cli
get -s /cli/eph
get /cli/nope
set /cli top2
set -v 1 /cli top3
set -v 1 /cli x
set -s /cli top4
stat /cli
stat /__zkcli/04-ls
ls /cli
ls -s /cli
ls -R /cli
stat /__zkcli/05-acl
getAcl /cli
setAcl /cli world:anyone:crdwa
setAcl -s /cli world:anyone:cdrwa
setAcl -v 0 /cli world:anyone:cdrwa
getAcl -s /cli
addauth digest user:pass
create /cli/sec s auth:user:pass:cdrwa
create /cli/sec2 s digest:user:smGaoVKd/cQkjm7b88GyorAUz20=:cdr
getAcl /cli/sec
getAcl /cli/sec2
stat /__zkcli/06-delete
create /cli/a
create /cli/a/b
delete /cli/a
delete /cli/nope
delete -v 5 /cli/seq-0000000001
delete -v 0 /cli/seq-0000000001
deleteall /cli/a
sync /cli
getEphemerals /cli
getAllChildrenNumber /cli
ls -R /cli
deleteall /cli
stat /cli
ls /
stat /__zkcli/07-end
close
quit
"""

CLI_NOISE = ("WATCHER::", "JLine support is disabled", "Welcome to ZooKeeper!")
CLI_NOISE_PREFIXES = ("WatchedEvent ", "SLF4J:", "Connecting to ")


def normalize_cli(text, now=None):
    """The CLI's output without log noise; section markers for the missing
    /__zkcli nodes; ctime/mtime as <time> when plausible (within a day of
    now, or 0); ephemeral owners as session#N; unordered lists sorted."""
    now = time.time() if now is None else now
    sessions = {}
    out = []
    for line in text.splitlines():
        s = line.rstrip()
        if not s or s in CLI_NOISE or s.startswith(CLI_NOISE_PREFIXES):
            continue
        m = re.match(r"^Node does not exist: /__zkcli/(.*)$", s)
        if m:
            out.append("==== %s ====" % m.group(1))
            continue
        m = re.match(r"^([cm]time) = (.*)$", s)
        if m:
            try:
                t = datetime.strptime(m.group(2), "%a %b %d %H:%M:%S %Z %Y").replace(tzinfo=timezone.utc)
                ok = abs(t.timestamp() - now) < 86400 or t.timestamp() == 0
                out.append("%s = %s" % (m.group(1), "<time>" if ok else "<implausible: %s>" % m.group(2)))
            except ValueError:
                out.append("%s = <unparsed: %s>" % (m.group(1), m.group(2)))
            continue
        m = re.match(r"^ephemeralOwner = (0x[0-9a-f]+)$", s)
        if m and m.group(1) != "0x0":
            sessions.setdefault(m.group(1), "session#%d" % (len(sessions) + 1))
            out.append("ephemeralOwner = " + sessions[m.group(1)])
            continue
        m = re.match(r"^\[(.*)\]$", s)
        if m and m.group(1):                  # unordered lists (getEphemerals)
            out.append("[" + ", ".join(sorted(m.group(1).split(", "))) + "]")
            continue
        out.append(s)
    return out


def run_side(name, make_server, work):
    """One full run against one server: (workload lines, CLI lines, problems)."""
    server = make_server(name=name, workdir=work, data_log_dir=work.sub(name, "log"), **SERVER_SETTINGS)
    problems = []
    print("%s: starting %s on %s" % (name, type(server).__name__, server.hostport), flush=True)
    server.start()
    out = work.file(name, "workload.jsonl")
    print("%s: running node_workload" % name, flush=True)
    rc, text = run_command(["/usr/bin/python3", "-m", "tests.peers.checks.node_workload", server.hostport,
                            "--out", out], name + "-workload", work.file(name, "workload.log"), WORKLOAD_DEADLINE)
    if rc != 0:
        problems.append("%s: node_workload exited with status %s: %s" % (name, rc, text.strip()[-500:]))
    lines = read_lines(out)
    if not server.running:
        problems.append("%s: the server died during the workload (log %s):\n%s"
                        % (name, server.log, server.proc.log_tail(20)))
        server.stop()
        return lines, [], problems
    print("%s: %d workload lines; restarting on the same data dir" % (name, len(lines)), flush=True)
    server.restart()
    print("%s: running the ZooKeeper CLI batch" % name, flush=True)
    commands = work.file(name, "zkcli.commands")
    with open(commands, "w") as f:
        f.write(CLI_COMMANDS)
    try:
        # ZooKeeperMain exits with the status of its last command: only a timeout matters
        _, raw = run_command(tool_argv("org.apache.zookeeper.ZooKeeperMain", "-server", server.hostport,
                                       heap="128m"),
                             name + "-zkcli", work.file(name, "zkcli.raw"), CLI_DEADLINE, stdin=commands)
    except TimeoutError as e:
        problems.append("%s: the ZooKeeper CLI timed out: %s" % (name, e))
        raw = ""
    cli = normalize_cli(raw)
    with open(work.file(name, "zkcli.txt"), "w") as f:
        f.write("\n".join(cli) + "\n")
    server.stop()
    return lines, cli, problems


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def show_diff(what, a, b):
    """Prints the unified diff of ZooKeeper's lines against the node's; True when equal."""
    diff = list(difflib.unified_diff(a, b, "zk/" + what, "node/" + what, lineterm=""))
    for line in diff:
        print(line)
    return not diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zk-only", action="store_true", help="run only the real ZooKeeper (checks this check)")
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir even on success")
    args = ap.parse_args()
    if os.environ.get("ZABRA_NODE_CMD"):
        os.environ["ZABRA_NODE"] = os.environ["ZABRA_NODE_CMD"]
    args.keep = args.keep or bool(os.environ.get("NODE_VS_ZK_KEEP"))
    needs = ["zookeeper", "kazoo"]
    if not args.zk_only and not zookeeper_stands_in():
        needs.append("zabra-node")
    skip_unless(*needs)
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    work = WorkDir("node-vs-zk", keep=args.keep or args.zk_only)
    t0 = time.monotonic()
    zk_lines, zk_cli, problems = run_side("zk", ZooKeeperServer, work)
    if args.zk_only:
        print("zk-only: %d workload lines, %d CLI lines in %s" % (len(zk_lines), len(zk_cli), work.path))
        if not zk_lines or not zk_lines[-1].startswith('{"step": "done"'):
            problems.append("the workload did not reach its end")
        for p in problems:
            print("node-vs-zk: FAIL: " + p)
        return 1 if problems else 0
    node_lines, node_cli, node_problems = run_side("node", node_under_test, work)
    problems += node_problems
    print("comparing workload outputs (zk vs node)", flush=True)
    if not show_diff("workload.jsonl", zk_lines, node_lines):
        problems.append("the workload outputs differ (above)")
    print("comparing ZooKeeper CLI outputs (zk vs node)", flush=True)
    if not show_diff("zkcli.txt", zk_cli, node_cli):
        problems.append("the CLI outputs differ (above)")
    for p in problems:
        print("node-vs-zk: FAIL: " + p)
    if problems:
        print("DIFFERENT (outputs in %s)" % work.path)
        return 1
    print("IDENTICAL: zabra-node matches ZooKeeper on %d workload steps and the CLI batch (%.0f s)"
          % (len(zk_lines), time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    run(main)
