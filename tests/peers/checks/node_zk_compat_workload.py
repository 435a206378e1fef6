"""The client side of node_zk_compat (Debian's /usr/bin/python3, python3-kazoo 2.8).

    python3 -m tests.peers.checks.node_zk_compat_workload HOST:PORT STATE.json
        Runs the workload on a server, writes STATE.json (the holder session's
        id and its ephemerals), prints "READY" and then keeps the holder's
        session open until the process is killed, so that session is never
        closed.
dump_tree(server, out) writes the whole tree as a digest-authenticated client
(user:pass) sees it: for every path data, stat, ACLs, children.
compare(node_tree, zk_tree, state) prints a unified diff of two dumps (one
line per path and field) and checks that the holder's ephemerals exist in
both with the holder session as owner.

The workload covers: persistent creates (create and create2), a node with
null data, sequential (persistent and ephemeral), ephemerals of a session
that stays open, ephemerals of a session that is closed, containers (one with
a child, one empty), TTL nodes (plain and sequential; extended types must be
enabled), setData (with and without version), setACL (digest + world, ip,
with version), deletes, multis (one committed, one that fails and is rolled
back), failed single writes (NodeExists, BadVersion, NoNode), and enough bulk
creates and sets to span several snapshots and logs with a small snapCount.
"""

import difflib
import json
import os
import sys
import time

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, RolledBackError
from kazoo.security import ACL, Id, OPEN_ACL_UNSAFE, Permissions, make_digest_acl

from tests.peers.kazoo_util import connect, connected
from tests.peers.workloads.zk_records import CreateContainer, CreateTTL, RawCreate2, call

AUTH = [("digest", "user:pass")]
DIGEST_ALL = make_digest_acl("user", "pass", all=True)
WORLD_READ = ACL(Permissions.READ, Id("world", "anyone"))
IP_ALL = ACL(Permissions.ALL, Id("ip", "127.0.0.1"))
HOLDER_TIMEOUT = 30.0       # the ephemeral owner's session timeout (s)


def expect_error(exc, fn):
    try:
        fn()
    except exc:
        return
    raise AssertionError("expected %s" % exc.__name__)


# ---------------------------------------------------------------------------
# workload
# ---------------------------------------------------------------------------

def do_workload(hp, state_path):
    a = connect(hp, auth_data=AUTH)
    holder = connect(hp, session_timeout=HOLDER_TIMEOUT)
    hsid = holder.client_id[0]

    # persistent, create2, null data, nested
    a.create("/c", b"top")
    a.create("/c/a", b"alpha")
    a.create("/c/b", bytes(range(256)))
    a.create("/c/a/x", b"", include_data=True)                      # create2
    call(a, RawCreate2("/c/null", None, OPEN_ACL_UNSAFE, 0))        # null data
    a.create("/c/empty", b"")
    # ACLs at create time
    a.create("/secure", b"secret", acl=[DIGEST_ALL])
    a.create("/mixed", b"m", acl=[DIGEST_ALL, WORLD_READ, IP_ALL])
    # sequential
    seqs = [a.create("/c/seq-", b"s%d" % i, sequence=True) for i in range(3)]
    # containers, TTL
    call(a, CreateContainer("/ctr", b"container", OPEN_ACL_UNSAFE, 4))
    a.create("/ctr/k", b"kid")
    call(a, CreateContainer("/ctr-empty", b"", OPEN_ACL_UNSAFE, 4))
    call(a, CreateTTL("/ttl", b"ttl node", OPEN_ACL_UNSAFE, 5, 3600 * 1000))
    call(a, CreateTTL("/c/ttl-seq-", b"ttl seq", OPEN_ACL_UNSAFE, 6, 7200 * 1000))
    # ephemerals of the holder (stays open) and of a session that is closed
    hold = [holder.create("/c/eph1", b"e1", ephemeral=True),
            holder.create("/c/eph2", b"", ephemeral=True),
            holder.create("/ctr/eph", b"in a container", ephemeral=True),
            holder.create("/c/eseq-", b"es", ephemeral=True, sequence=True),
            holder.create("/c/eseq-", b"es", ephemeral=True, sequence=True)]
    t = connect(hp)
    t.create("/c/gone-eph", b"closed with its session", ephemeral=True)
    t.create("/c/a/gone-eph", b"", ephemeral=True)
    t.stop()
    t.close()
    # setData
    for i in range(3):
        a.set("/c/a", b"alpha-%d" % i)
    a.set("/c/b", b"bravo", version=0)
    a.set("/secure", b"secret-2")
    a.set("/ttl", b"ttl touched")
    # setACL
    a.set_acls("/c/b", [WORLD_READ, DIGEST_ALL])
    a.set_acls("/c/b", [WORLD_READ, DIGEST_ALL, IP_ALL], version=1)
    a.set_acls("/c", [DIGEST_ALL, ACL(Permissions.READ | Permissions.CREATE, Id("world", "anyone"))])
    a.set_acls("/ctr-empty", [DIGEST_ALL])
    # deletes
    a.create("/c/tmp1", b"1")
    a.create("/c/tmp2", b"2")
    a.delete("/c/tmp1")
    a.delete("/c/tmp2", version=0)
    a.delete(seqs[1])
    # multis: one committed, one rolled back
    tx = a.transaction()
    tx.create("/m", b"multi")
    tx.create("/m/1", b"one")
    tx.set_data("/c/a", b"alpha-multi")
    tx.check("/c/b", 1)
    tx.delete(seqs[2])
    res = tx.commit()
    if any(isinstance(r, Exception) for r in res):
        raise AssertionError("multi failed: %r" % (res,))
    tx = a.transaction()
    tx.create("/m/2", b"never")
    tx.check("/c/a", 999)
    tx.set_data("/m", b"never")
    res = tx.commit()
    if not any(isinstance(r, (BadVersionError, RolledBackError)) for r in res):
        raise AssertionError("rolled-back multi: %r" % (res,))
    # failed single writes (they consume zxids: error txns)
    expect_error(NodeExistsError, lambda: a.create("/c/a", b"dup"))
    expect_error(BadVersionError, lambda: a.set("/c/a", b"x", version=42))
    expect_error(NoNodeError, lambda: a.delete("/c/nope"))
    expect_error(NoNodeError, lambda: a.create("/nope/child", b""))
    # bulk: several snapshots / logs with a small snapCount
    a.create("/bulk", b"")
    for i in range(120):
        a.create("/bulk/n%03d" % i, os.urandom(i * 7 % 300))
    for i in range(0, 120, 3):
        a.set("/bulk/n%03d" % i, b"set %d" % i)
    for i in range(0, 120, 10):
        a.delete("/bulk/n%03d" % i)
    a.set_acls("/bulk", [DIGEST_ALL, WORLD_READ])
    a.set("/c", b"top-last")
    a.stop()
    a.close()

    with open(state_path, "w", encoding="utf-8") as f:
        json.dump({"holder_session": hsid, "holder_ephemerals": hold}, f, indent=1)
    print("READY session=0x%x ephemerals=%d" % (hsid, len(hold)), flush=True)
    while True:             # the holder session stays open until the process is killed
        time.sleep(3600)


# ---------------------------------------------------------------------------
# dump, compare
# ---------------------------------------------------------------------------

STAT_FIELDS = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren", "pzxid")


def dump_tree(server, out):
    """Writes the tree to `out` (JSON); returns the number of nodes."""
    tree = {}

    def walk(path):
        data, st = zk.get(path)
        acls, ast = zk.get_acls(path)
        kids = sorted(zk.get_children(path))
        tree[path] = {
            "data": None if data is None else bytes(data).hex(),
            "stat": {k: getattr(st, k) for k in STAT_FIELDS},
            "acl": ["%s:%s:%d" % (x.id.scheme, x.id.id, x.perms) for x in acls],
            "acl_stat_aversion": ast.aversion,
            "children": kids,
        }
        for k in kids:
            walk(path.rstrip("/") + "/" + k)
    with connected(server, auth_data=AUTH) as zk:
        walk("/")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tree, f, indent=1, sort_keys=True)
    return len(tree)


def lines_of(tree):
    out = []
    for path in sorted(tree):
        n = tree[path]
        d = n["data"]
        out.append("%s data=%s" % (path, "null" if d is None else repr(bytes.fromhex(d))[2:-1]))
        for k in STAT_FIELDS:
            v = n["stat"][k]
            if k in ("czxid", "mzxid", "pzxid", "ephemeralOwner"):
                v = "0x%x" % (v & 0xFFFFFFFFFFFFFFFF)
            out.append("%s %s=%s" % (path, k, v))
        out.append("%s acl=%s" % (path, ",".join(n["acl"])))
        out.append("%s acl.aversion=%s" % (path, n["acl_stat_aversion"]))
        out.append("%s children=%s" % (path, ",".join(n["children"])))
    return out


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def compare(node, zk, state):
    """Prints the differences of two trees; returns the list of problems."""
    problems = []
    a, b = lines_of(node), lines_of(zk)
    diff = list(difflib.unified_diff(a, b, "zabra-node (before SIGTERM)", "ZooKeeper 3.8 (on a copy)", n=0, lineterm=""))
    if diff:
        print("\n".join(diff))
        changed = {l[1:].split(" ", 1)[0] for l in diff if l[:1] in "+-" and not l.startswith(("+++", "---"))}
        problems.append("%d differing lines on %d paths" % (sum(1 for l in diff if l[:1] in "+-") - 2, len(changed)))
    else:
        print("identical: %d nodes, %d lines (data, stat, ACLs, children)" % (len(node), len(a)))
    sid = state["holder_session"]
    for name, tree in (("zabra-node", node), ("ZooKeeper", zk)):
        for p in state["holder_ephemerals"]:
            n = tree.get(p)
            if n is None:
                problems.append("%s: the live session's ephemeral %s is missing" % (name, p))
            elif n["stat"]["ephemeralOwner"] != sid:
                problems.append("%s: %s is owned by 0x%x, not by the live session 0x%x"
                                % (name, p, n["stat"]["ephemeralOwner"] & 0xFFFFFFFFFFFFFFFF, sid))
    if not problems:
        print("the live session 0x%x owns its %d ephemerals on both servers" % (sid, len(state["holder_ephemerals"])))
    return problems


def holder_ephemerals(state):
    """"0x<session> <path>" lines of the holder's ephemerals, sorted."""
    return ["0x%x %s" % (state["holder_session"], p) for p in sorted(state["holder_ephemerals"])]


def main():
    import logging
    logging.basicConfig(level=logging.CRITICAL)
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    return do_workload(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
