"""A real ZooKeeper 3.8 ensemble whose learners sync, for the checks that
compare zabra with what its leader decides and does (checks.plan_vs_ensemble,
checks.rollback_vs_zk): the ensemble, the writes, a leader cut off with
proposals it logs but cannot commit, the leader's sync decision read from its
LearnerHandler log, and the zabra CLI run on copies of the data dirs."""
import json
import os
import re
import subprocess
import time

from .. import ZooKeeperEnsemble, binary, connect, connected, skip, skip_unless, wait_until
from ..skip import SLF4J_SIMPLE

LEARNER_HANDLER = "org.apache.zookeeper.server.quorum.LearnerHandler"
# the cut-off leader's client session must outlive the test: its expiry would
# be a closeSession the new leader commits, a write the situations exclude
SESSION_TIMEOUT = 60.0


def hx(z):
    """A zxid as ZooKeeper prints it: 0x hex, no leading zeros."""
    return "0x%x" % (int(z, 16) if isinstance(z, str) else z)


def require(zabra_command):
    """Exit 77 unless ZooKeeper (with slf4j-simple, which writes the log the
    decisions are read from), kazoo and a zabra with `zabra_command` exist."""
    skip_unless("zookeeper", "kazoo", "zabra")
    if not os.access(SLF4J_SIMPLE, os.R_OK):
        skip("%s missing (apt-get install libslf4j-java)" % SLF4J_SIMPLE)
    if zabra(zabra_command, "--help").returncode != 0:
        skip("%s has no '%s' command" % (binary("zabra"), zabra_command))


def zabra(*args, timeout=300.0):
    """Runs the zabra CLI to the end (killed past `timeout`); a CompletedProcess with text stdout/stderr."""
    return subprocess.run([binary("zabra")] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)


def sync_ensemble(workdir):
    """Three servers whose quorum and election traffic runs through the
    harness proxies (one per ordered pair), snapCount=100 and the default
    txn-log preallocation; LearnerHandler logs at DEBUG ("Sending TRUNC to
    follower", "Start forwarding")."""
    return ZooKeeperEnsemble(3, workdir=workdir, proxies=True, snap_count=100, loggers={LEARNER_HANDLER: "debug"},
                             extra={"maxSessionTimeout": int(SESSION_TIMEOUT * 2000)})


def others(ens, *excluded):
    """The ensemble's sids not listed, in order."""
    return [s for s in ens.sids if s not in excluded]


def write_znodes(hosts, prefix, count, size=16):
    """Creates `count` znodes of `size` bytes under `prefix` through `hosts`,
    500 requests in flight at a time."""
    data = (b"zabra-plan-" * (size // 11 + 1))[:size]
    with connected(hosts) as zk:
        zk.ensure_path(prefix)
        for first in range(0, count, 500):
            futures = [zk.create_async("%s/n%07d" % (prefix, i), data) for i in range(first, min(count, first + 500))]
            for f in futures:
                f.get(timeout=120)
    print("    wrote %d znodes under %s" % (count, prefix), flush=True)


def cut_off_leader(ens, prefix, count, linger):
    """Cuts the leader off (every quorum and election link to or from it
    silent, as in a partition; the client port stays reachable), sends it
    `count` creates it logs as proposals but can never commit, stops it after
    `linger` seconds and waits for the others to elect a leader.  The links
    stay cut (ens.heal() before the old leader comes back).  Returns (old
    leader, new leader)."""
    old = ens.leader()
    zk = connect(ens.servers[old], session_timeout=SESSION_TIMEOUT)
    try:
        zk.ensure_path(prefix)              # committed: the session works
        print("    session 0x%x on leader %d; cutting it off" % (zk.client_id[0], old), flush=True)
        ens.isolate(old, how="drop")
        futures = [zk.create_async("%s/u%03d" % (prefix, i), b"never-committed") for i in range(count)]
        time.sleep(linger)                  # the leader logs them as proposals meanwhile
        acked = sum(1 for f in futures if f.ready() and f.successful())
        print("    sent %d creates to the cut-off leader; %d acknowledged (expected 0)" % (count, acked), flush=True)
        ens.stop(old)
    finally:
        # Only now, with the server gone: a closeSession would be one more
        # proposal of the old leader (or, later, a write of the new one).
        zk.stop()
        zk.close()
    new = ens.wait_for_quorum(others(ens, old))
    return old, new


# ---------------------------------------------------------------------------
# the server log (slf4j-simple: "date time [thread] LEVEL logger - message")
# ---------------------------------------------------------------------------
LOG_LINE = re.compile(r"^\S+ \S+ \[(?P<thread>[^\]]*)\] (?P<level>[A-Z]+) (?P<logger>\S+) - (?P<msg>.*)$")
_LOG_PREFIX = re.compile(r"^[0-9-]+ ([0-9:,]+) \[[^\]]*(\]\([^)]*\)\([^)]*\))?\] [A-Z]+ \S+ - ")


def log_lines(text, pattern, exclude=None):
    """The lines of a server log matching `pattern` (and not `exclude`), each
    as "time message" (the date, thread, level and logger cut)."""
    out = []
    for line in text.splitlines():
        if re.search(pattern, line) and not (exclude and re.search(exclude, line)):
            out.append(_LOG_PREFIX.sub(r"\1 ", line))
    return out


def leader_decision(text, sid):
    """The first sync of learner `sid` in a leader's log excerpt, or None:
    {"sync": the "Synchronizing with Learner" line's fields, "messages": that
    LearnerHandler thread's messages, "complete": NEWLEADER or the snapshot
    was sent, "kind": SNAP | DIFF | EMPTY_DIFF | TRUNC | TRUNC+DIFF | ?,
    "op": DIFF | TRUNC, "op_zxid", "forward": "Start forwarding" zxid,
    "snap_zxid", "notes": the leader's remarks on its choice}."""
    sync = None
    thread = None
    lines = []
    for raw in text.splitlines():
        m = LOG_LINE.match(raw)
        if not m or "LearnerHandler" not in m["logger"]:
            continue
        msg = m["msg"]
        if thread is None:
            mm = re.match(r"Synchronizing with Learner sid: (\d+) maxCommittedLog=0x(\w+) "
                          r"minCommittedLog=0x(\w+) lastProcessedZxid=0x(\w+) peerLastZxid=0x(\w+)", msg)
            if mm and int(mm[1]) == sid:
                thread = m["thread"]
                sync = {"line": raw, "max": hx(mm[2]), "min": hx(mm[3]), "lp": hx(mm[4]), "peer": hx(mm[5])}
                lines.append(msg)
            continue
        if m["thread"] != thread:
            continue
        lines.append(msg)
        if msg.startswith(("Sending snapshot last zxid", "Sending NEWLEADER", "Unexpected exception")) \
                or "GOODBYE" in msg:
            break
    if sync is None:
        return None
    d = {"sync": sync, "messages": lines, "complete": False, "kind": None, "op": None, "op_zxid": None,
         "forward": None, "snap_zxid": None, "notes": []}
    peer_new_epoch = (int(sync["peer"], 16) & 0xffffffff) == 0
    for msg in lines[1:]:
        _read_message(d, msg, peer_new_epoch)
    if d["kind"] is None and d["complete"]:
        d["kind"] = {"TRUNC": "TRUNC", "TRUNC_WALK": "TRUNC+DIFF"}.get(d["op"], "?")
        if d["op"] == "DIFF":
            d["kind"] = "EMPTY_DIFF" if d["forward"] == sync["peer"] else "DIFF"
    if d["op"] == "TRUNC_WALK":
        d["op"] = "TRUNC"
    return d


def _read_message(d, msg, peer_new_epoch):
    mm = re.match(r"Sending DIFF zxid=0x(\w+)\s+for peer sid: (\d+)", msg)
    if mm:
        d["op"], d["op_zxid"] = "DIFF", hx(mm[1])
        return
    mm = re.match(r"Sending TRUNC to follower zxidToSend=0x(\w+) for peer sid:\s*(\d+)", msg)
    if mm:
        d["op"], d["op_zxid"] = "TRUNC", hx(mm[1])
        return
    mm = re.match(r"Sending TRUNC zxid=0x(\w+)\s+for peer sid: (\d+)", msg)
    if mm:
        # queueCommittedProposals logs "Sending TRUNC" for the empty DIFF it
        # queues for a new-epoch learner; a real TRUNC there is never logged
        # for such a learner (that branch is an else of it).
        if peer_new_epoch:
            d["op"], d["op_zxid"] = "DIFF", hx(mm[1])
            d["notes"].append("'Sending TRUNC' logged for a new-epoch peer: it is a DIFF")
        else:
            d["op"], d["op_zxid"] = "TRUNC_WALK", hx(mm[1])
        return
    mm = re.match(r"Start forwarding 0x(\w+) for peer sid: (\d+)", msg)
    if mm:
        d["forward"] = hx(mm[1])
        return
    mm = re.match(r"Sending snapshot last zxid of peer is 0x(\w+), zxid of leader is 0x(\w+), "
                  r"send zxid of db as 0x(\w+)", msg)
    if mm:
        d["snap_zxid"], d["kind"], d["complete"] = hx(mm[3]), "SNAP", True
        return
    if msg.startswith(("Cannot send TRUNC", "Detected gap", "Unhandled scenario", "Forcing snapshot sync",
                       "Using committedLog", "Use txnlog and committedLog")):
        d["notes"].append(msg)
    if msg.startswith("Sending NEWLEADER"):
        d["complete"] = True


def wait_leader_decision(server, since, sid, timeout=120.0):
    """The leader's complete sync decision for learner `sid`, read from the
    leader server's log after byte `since`, waited for; "sync_count" says how
    often the learner synced in that excerpt (the first sync is the one)."""
    last = {}

    def decided():
        last["d"] = leader_decision(server.proc.log_text(since), sid)
        return last["d"] if last["d"] and last["d"]["complete"] else None
    try:
        d = wait_until(decided, timeout, "leader %s's sync decision for learner %d" % (server.name, sid))
    except TimeoutError as e:
        raise TimeoutError("%s; in %s after byte %d: %s" % (e, server.log, since,
                                                            json.dumps(last.get("d"))[:2000])) from None
    d["sync_count"] = len(re.findall(r"Synchronizing with Learner sid: %d " % sid, server.proc.log_text(since)))
    return d
