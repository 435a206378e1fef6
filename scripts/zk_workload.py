#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Client-side workloads for scripts/make-zk-fixtures.

Drives a real ZooKeeper 3.8 server with kazoo (python3-kazoo 2.8) so that the
server writes transaction logs and snapshots containing every txn type.
Run with Debian's /usr/bin/python3 (kazoo is installed there).

Sub-commands (all take --hosts host:port[,host:port...]):
  wait-up        wait until every listed server answers the 'srvr' 4lw
  wait-quorum    wait until the listed servers form a quorum, print leader index
  leader         print the 0-based index (in --hosts) of the current leader
  standalone1    main workload of the 'standalone' set (every txn type)
  standalone2    a few more writes after a restart (gz / snappy phases)
  legacy         a few dozen mixed txns for the 'legacy' set
  check13        a tiny run ending with a top-level check (opcode 13)
  ensemble       writes for one epoch of the 'ensemble' set
  reconfig       one or two no-op reconfigs (opcode 16) as the super user
  hold           (internal) create ephemerals and sleep until SIGKILLed
"""

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError,
                              NoNodeError, NotEmptyError)
from kazoo.protocol.serialization import CheckVersion, Create, Delete, SetData
from kazoo.security import (ACL, Id, OPEN_ACL_UNSAFE, make_acl,
                            make_digest_acl)

log = logging.getLogger("zk_workload")

# Protocol records kazoo 2.8 does not offer through its API (createContainer,
# createTTL, a top-level check, a multi that parses create2 results): shared
# with the peer checks in tests/peers/workloads/zk_records.py.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.peers.workloads.zk_records import CreateContainer, CreateTTL, Multi, TopCheck  # noqa: E402


def call(zk, request):
    """Send any protocol record through kazoo and wait for the answer."""
    ar = zk.handler.async_result()
    zk._call(request, ar)
    return ar.get(timeout=30)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def four_letter(hostport, cmd=b"srvr", timeout=2.0):
    host, port = hostport.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(cmd)
        chunks = []
        while True:
            d = s.recv(4096)
            if not d:
                break
            chunks.append(d)
    return b"".join(chunks).decode("utf-8", "replace")


def server_mode(hostport):
    try:
        out = four_letter(hostport)
    except OSError:
        return None
    for line in out.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


def connect(hosts, timeout=10.0, auth=None):
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start(timeout=30)
    if auth:
        zk.add_auth("digest", auth)
    return zk


def expect(exc_type, fn, *a, **kw):
    """Run fn and require it to fail with exc_type (an error txn)."""
    try:
        fn(*a, **kw)
    except exc_type:
        return
    raise SystemExit("expected %s from %s%r" % (exc_type.__name__, fn.__name__, a))


def wait_gone(zk, paths, limit=60.0, what="node"):
    deadline = time.time() + limit
    pending = list(paths)
    while pending:
        pending = [p for p in pending if zk.exists(p) is not None]
        if not pending:
            break
        if time.time() > deadline:
            raise SystemExit("timeout waiting for %s removal: %r" % (what, pending))
        time.sleep(0.25)


def expire_session(zk, hosts, paths, timeout=2.0):
    """Start a child process that opens a session with a short timeout and
    creates ephemeral `paths`, SIGKILL it, and wait until the server expired
    the session (closeSession with cxid 0) and removed the ephemerals."""
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "hold", "--hosts", hosts,
         "--timeout", str(timeout), "--paths", ",".join(paths)],
        stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline().strip()
    if not line.startswith("READY"):
        child.kill()
        child.wait()
        raise SystemExit("holder child failed: %r" % line)
    for p in paths:
        if zk.exists(p) is None:
            raise SystemExit("ephemeral %s missing" % p)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    wait_gone(zk, paths, limit=60.0, what="expired ephemeral")
    print("  expired session %s (ephemerals %s)" % (line.split()[1], ",".join(paths)))


def cmd_hold(args):
    zk = connect(args.hosts, timeout=args.timeout)
    for p in args.paths.split(","):
        zk.create(p, b"held by " + p.encode(), ephemeral=True)
    print("READY 0x%x" % zk.client_id[0], flush=True)
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------------------
# wait / leader helpers
# ---------------------------------------------------------------------------

def cmd_wait_up(args):
    deadline = time.time() + args.limit
    for hp in args.hosts.split(","):
        while server_mode(hp) is None:
            if time.time() > deadline:
                raise SystemExit("server %s not up after %ss" % (hp, args.limit))
            time.sleep(0.2)


def current_roles(hosts):
    return [server_mode(hp) for hp in hosts.split(",")]


def cmd_wait_quorum(args):
    deadline = time.time() + args.limit
    while True:
        roles = current_roles(args.hosts)
        if roles.count("leader") == 1 and all(r in ("leader", "follower") for r in roles):
            print(roles.index("leader"))
            return
        if time.time() > deadline:
            raise SystemExit("no quorum after %ss: %r" % (args.limit, roles))
        time.sleep(0.25)


def cmd_leader(args):
    roles = current_roles(args.hosts)
    if roles.count("leader") != 1:
        raise SystemExit("no single leader: %r" % roles)
    print(roles.index("leader"))


# ---------------------------------------------------------------------------
# workloads
# ---------------------------------------------------------------------------

BIN = bytes([0x00, 0x01, 0x7f, 0x80, 0xc3, 0x28, 0xfe, 0xff, 0xed, 0xa0, 0x80])  # not UTF-8


def churn(zk, prefix, n, keep_every=5):
    """n rounds of create / setData / (mostly) delete, keeping the tree small.
    Returns the number of txns issued."""
    txns = 0
    for i in range(n):
        p = "%s/item-%04d" % (prefix, i)
        zk.create(p, b"v0-%d" % i)
        zk.set(p, b"v1-%d" % i)
        txns += 2
        if i % keep_every:
            zk.delete(p)
            txns += 1
    return txns


def cmd_standalone1(args):
    hosts = args.hosts
    zk = connect(hosts, auth="user:pw")
    digest_all = make_digest_acl("user", "pw", all=True)

    # --- creates: persistent, empty / non-empty / binary / null data --------
    zk.create("/app", b"")                              # create(1), empty data
    zk.create("/app/config", b"hello world")            # create(1)
    zk.create("/app/bin", BIN)                           # binary (non-UTF-8) data
    zk.create("/app/null", None)                         # null data (length -1)
    zk.create("/\u00e9", "caf\u00e9".encode("utf-8"))     # "/é"
    zk.create("/\u65e5\u672c", "\u65e5\u672c\u8a9e".encode("utf-8"), include_data=True)  # "/日本" via create2(15)
    zk.create("/app/c2", b"made by create2", include_data=True)            # create2(15)
    # sequential, ephemeral, ephemeral-sequential
    seq = [zk.create("/app/seq-", b"s%d" % i, sequence=True) for i in range(3)]
    zk.create("/app/seq2-", b"", sequence=True, include_data=True)          # create2 + sequential
    zk.create("/app/eph", b"ephemeral of main session", ephemeral=True)
    zk.create("/app/ephseq-", b"", ephemeral=True, sequence=True)
    zk.create("/app/ephseq-", BIN, ephemeral=True, sequence=True, include_data=True)

    # --- containers and TTL nodes (kazoo has no API: raw requests) -------
    call(zk, CreateContainer("/cont", b"container", OPEN_ACL_UNSAFE, 4))      # createContainer(19)
    call(zk, CreateContainer("/cont-unused", b"", OPEN_ACL_UNSAFE, 4))        # never gets a child: stays
    zk.create("/cont/child", b"x")
    zk.create("/cont/child2", b"")
    call(zk, CreateTTL("/ttl-short", b"ttl 1000ms", OPEN_ACL_UNSAFE, 5, 1000))   # createTTL(21)
    call(zk, CreateTTL("/ttl-long", b"", OPEN_ACL_UNSAFE, 5, 3600 * 1000))
    call(zk, CreateTTL("/app/ttlseq-", b"seq ttl", OPEN_ACL_UNSAFE, 6, 86400 * 1000))

    # --- setData / setACL / digest ACLs -------------------------------------
    zk.set("/app/config", b"v2")                 # setData(5)
    zk.set("/app/config", b"v3", version=1)
    zk.set("/app/null", b"")                     # null -> empty
    zk.set("/app/bin", BIN + BIN)
    zk.create("/secure", b"secret", acl=[digest_all])
    zk.set("/secure", b"secret-2")
    zk.set_acls("/app/config", [make_digest_acl("user", "pw", read=True, write=True),
                                ACL(1, Id("world", "anyone"))])              # setACL(7)
    zk.set_acls("/app/c2", [make_acl("ip", "127.0.0.1", all=True), digest_all])
    zk.set_acls("/\u00e9", OPEN_ACL_UNSAFE, version=0)

    # --- successful multi: create, setData, delete, check, + extended creates
    t = zk.transaction()
    t.create("/app/tx1", b"in multi")
    t.set_data("/app/config", b"v4-multi")
    t.delete(seq[0])
    t.check("/app", 0)
    res = t.commit()
    if any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi 1 failed: %r" % res)
    res = call(zk, Multi([
        Create("/app/tx2", b"", OPEN_ACL_UNSAFE, 2),                 # sequential create inside multi
        CreateContainer("/cont2", b"c2", OPEN_ACL_UNSAFE, 4),
        CreateTTL("/app/tx-ttl", b"ttl in multi", OPEN_ACL_UNSAFE, 5, 86400 * 1000),
        SetData("/app/tx1", BIN, 0),
        CheckVersion("/app/tx1", 1),
        Delete(seq[1], -1),
    ]))
    if any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi 2 failed: %r" % res)

    # --- failing multi: op #2 creates an existing node ----------------------
    t = zk.transaction()
    t.create("/app/tx3", b"never")
    t.create("/app", b"exists")                 # NODEEXISTS -> error sub-txn
    t.set_data("/app/config", b"never")         # -> error(-2) RUNTIMEINCONSISTENCY
    res = t.commit()
    if not any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi 3 unexpectedly succeeded")
    # failing multi: check with a wrong version as the first op
    t = zk.transaction()
    t.check("/app/config", 42)
    t.create("/app/tx4", b"never")
    res = t.commit()
    if not any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi 4 unexpectedly succeeded")

    # --- top-level error txns -----------------------------------------------
    expect(NodeExistsError, zk.create, "/app", b"")             # -110
    expect(NoNodeError, zk.delete, "/does-not-exist")           # -101
    expect(BadVersionError, zk.set, "/app/config", b"x", version=99)   # -103
    expect(NotEmptyError, zk.delete, "/app")                    # -111
    expect(NoNodeError, zk.create, "/no/parent", b"")           # -101
    other = connect(hosts)                                      # no auth
    expect(NoAuthError, other.set, "/secure", b"hacked")        # -102
    expect(NoAuthError, other.create, "/secure/child", b"")     # -102 (CREATE on /secure)
    other.stop()                                                 # explicit closeSession (no ephemerals)
    other.close()

    # explicitly closed session that owns ephemerals
    s3 = connect(hosts)
    s3.create("/app/closing-eph", b"", ephemeral=True)
    s3.create("/app/closing-eph-seq-", b"", ephemeral=True, sequence=True)
    s3.stop()
    s3.close()

    # --- deletes -------------------------------------------------------------
    zk.delete(seq[2])                                           # delete(2)
    zk.delete("/cont/child")
    zk.delete("/cont/child2")                                   # /cont is now an empty used container

    # --- expired session with ephemerals ----------------------------------
    expire_session(zk, hosts, ["/app/exp-1", "/\u00e9/exp-\u00e9"])

    # --- bulk writes (several logs and snapshots with snapCount=40) ---------
    zk.create("/app/items", b"")
    n = churn(zk, "/app/items", args.count)
    print("  churn txns: %d" % n)

    # --- deleteContainer: emptied container and expired TTL node -----------
    wait_gone(zk, ["/cont", "/ttl-short"], limit=30.0, what="container/TTL")
    print("  /cont and /ttl-short removed by the server (deleteContainer)")
    zk.set("/app/config", b"end of phase 1")
    zk.stop()                                                   # closeSession with /app/eph etc.
    zk.close()


def cmd_standalone2(args):
    zk = connect(args.hosts, auth="user:pw")
    tag = args.tag
    base = "/app/" + tag
    zk.create(base, tag.encode(), include_data=True)
    zk.create(base + "/eph", b"", ephemeral=True)
    n = churn(zk, base, args.count, keep_every=4)
    zk.set("/app/config", ("after restart " + tag).encode())
    expect(NodeExistsError, zk.create, base, b"")
    t = zk.transaction()
    t.create(base + "/tx", b"")
    t.set_data(base, b"multi " + tag.encode())
    t.check(base, 1)                      # version after the setData above
    res = t.commit()
    if any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi failed: %r" % res)
    print("  %s: churn txns %d" % (tag, n))
    zk.stop()
    zk.close()


def cmd_legacy(args):
    hosts = args.hosts
    zk = connect(hosts, auth="user:pw")
    zk.create("/legacy", b"")
    zk.create("/legacy/data", b"hello")
    zk.create("/legacy/bin", BIN)
    zk.create("/legacy/null", None)
    zk.create("/legacy/\u65e5\u672c", "\u00e9".encode("utf-8"), include_data=True)
    lseq = zk.create("/legacy/seq-", b"", sequence=True)
    zk.create("/legacy/eph", b"eph", ephemeral=True)
    zk.create("/legacy/secure", b"s", acl=[make_digest_acl("user", "pw", all=True)])
    zk.set("/legacy/data", b"hello 2")
    zk.set_acls("/legacy/data", [make_digest_acl("user", "pw", all=True)])
    t = zk.transaction()
    t.create("/legacy/tx", b"")
    t.set_data("/legacy/data", b"multi")
    t.check("/legacy", 0)
    t.delete(lseq)
    res = t.commit()
    if any(isinstance(r, Exception) for r in res):
        raise SystemExit("multi failed: %r" % res)
    t = zk.transaction()
    t.create("/legacy/tx2", b"")
    t.create("/legacy/tx", b"")          # fails: NODEEXISTS
    if not any(isinstance(r, Exception) for r in t.commit()):
        raise SystemExit("failing multi unexpectedly succeeded")
    expect(NodeExistsError, zk.create, "/legacy", b"")
    expect(NoNodeError, zk.delete, "/legacy/missing")
    expect(BadVersionError, zk.set, "/legacy/data", b"", version=7)
    s2 = connect(hosts)
    s2.create("/legacy/eph-closed", b"", ephemeral=True)
    s2.stop()
    s2.close()
    expire_session(zk, hosts, ["/legacy/exp-1", "/legacy/exp-2"])
    zk.create("/legacy/items", b"")
    n = churn(zk, "/legacy/items", args.count, keep_every=3)
    print("  legacy churn txns: %d" % n)
    zk.stop()
    zk.close()


def cmd_check13(args):
    zk = connect(args.hosts)
    zk.create("/a", b"")
    zk.set("/a", b"x")
    expect(BadVersionError, call, zk, TopCheck("/a", 0))     # error txn (-103)
    # Top-level check, opcode 13.  ZooKeeper 3.8.0 logs the txn, but then
    # fails to send the reply (NPE serialising a SetDataResponse with a null
    # stat, "Unexpected exception. Destruction averted."), so no answer ever
    # arrives: wait briefly and carry on.
    ar = zk.handler.async_result()
    zk._call(TopCheck("/a", 1), ar)
    try:
        st = ar.get(timeout=3)
        print("  top-level check answered, stat version %d" % st.version)
    except zk.handler.timeout_exception:
        print("  top-level check sent; no reply (expected with 3.8.0)")
    sys.stdout.flush()
    # Leave without closing the session: the check must stay the last txn.
    # The caller stops the server long before the 10 s session timeout.
    os._exit(0)


def cmd_ensemble(args):
    hosts = args.hosts
    tag = args.tag
    zk = connect(hosts, auth="user:pw")
    zk.ensure_path("/ens")
    base = "/ens/" + tag
    zk.create(base, tag.encode())
    zk.create(base + "/eph", b"", ephemeral=True)
    zk.create(base + "/seq-", b"", sequence=True)
    zk.create(base + "/c2", BIN, include_data=True)
    if args.extras:
        zk.create(base + "/secure", b"", acl=[make_digest_acl("user", "pw", all=True)])
        zk.set_acls(base, [make_acl("world", "anyone", all=True)])
        t = zk.transaction()
        t.create(base + "/tx", b"")
        t.set_data(base, b"multi")
        t.check(base, 1)                  # version after the setData above
        res = t.commit()
        if any(isinstance(r, Exception) for r in res):
            raise SystemExit("multi failed: %r" % res)
        t = zk.transaction()
        t.create(base + "/tx2", b"")
        t.create(base + "/tx", b"")          # fails: NODEEXISTS
        if not any(isinstance(r, Exception) for r in t.commit()):
            raise SystemExit("failing multi unexpectedly succeeded")
        expect(NodeExistsError, zk.create, base, b"")
        expect(NoNodeError, zk.delete, base + "/missing")
    if args.expire:
        expire_session(zk, hosts, [base + "/exp-1", base + "/exp-2"])
    n = churn(zk, base, args.count, keep_every=5)
    print("  %s: churn txns %d" % (tag, n))
    zk.stop()
    zk.close()


def cmd_reconfig(args):
    zk = connect(args.hosts, auth=args.super)
    data, stat = zk.get("/zookeeper/config")
    print("  config before: %r (mzxid 0x%x)" % (data.decode(), stat.mzxid))
    if args.joining:
        data, stat = zk.reconfig(joining=args.joining, leaving=None, new_members=None)
        print("  incremental reconfig -> version 0x%x" % stat.mzxid)
    if args.members:
        data, stat = zk.reconfig(joining=None, leaving=None, new_members=args.members)
        print("  non-incremental reconfig -> version 0x%x" % stat.mzxid)
    print("  config after: %r" % data.decode())
    zk.stop()
    zk.close()


def main():
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command")
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--tag", default="x")
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--paths", default="")
    ap.add_argument("--expire", action="store_true")
    ap.add_argument("--extras", action="store_true")
    ap.add_argument("--super", default="super:superpw")
    ap.add_argument("--joining", default=None)
    ap.add_argument("--members", default=None)
    args = ap.parse_args()
    fn = {
        "wait-up": cmd_wait_up,
        "wait-quorum": cmd_wait_quorum,
        "leader": cmd_leader,
        "hold": cmd_hold,
        "standalone1": cmd_standalone1,
        "standalone2": cmd_standalone2,
        "legacy": cmd_legacy,
        "check13": cmd_check13,
        "ensemble": cmd_ensemble,
        "reconfig": cmd_reconfig,
    }.get(args.command)
    if fn is None:
        ap.error("unknown command %s" % args.command)
    fn(args)


if __name__ == "__main__":
    main()
