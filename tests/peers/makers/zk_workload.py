"""Client-side workloads of tests/peers/makers/zk_fixtures.py: kazoo drives a
real ZooKeeper 3.8 so it logs every txn type.  Each function takes the
client connect string ("h:p,h:p").  Run as a module only for the two
children the maker starts (Proc), which must leave without closing their
session:
  hold HOSTS TIMEOUT PATH,...   ephemerals on a short session, then sleeps until SIGKILLed
  check13 HOSTS                 the check13 set's run, ending with a top-level check (opcode 13)
"""
import logging
import os
import sys
import time

from kazoo.exceptions import BadVersionError, NoAuthError, NodeExistsError, NoNodeError, NotEmptyError
from kazoo.protocol.serialization import CheckVersion, Create, Delete, SetData
from kazoo.security import ACL, OPEN_ACL_UNSAFE, Id, make_acl, make_digest_acl

from .. import kazoo_util
from ..procs import Proc
from ..skip import REPO
from ..wait import wait_until
from ..workloads.zk_records import CreateContainer, CreateTTL, Multi, TopCheck, call, send

log = logging.getLogger("makers")
BIN = bytes([0x00, 0x01, 0x7f, 0x80, 0xc3, 0x28, 0xfe, 0xff, 0xed, 0xa0, 0x80])  # not UTF-8


def connect(hosts, session_timeout=10.0, auth=None):
    zk = kazoo_util.connect(hosts, timeout=30.0, session_timeout=session_timeout)
    if auth:
        zk.add_auth("digest", auth)
    return zk


def close(zk):
    """Explicit closeSession."""
    zk.stop()
    zk.close()


def expect(exc_type, fn, *a, **kw):
    """Runs fn and requires it to fail with exc_type (an error txn)."""
    try:
        fn(*a, **kw)
    except exc_type:
        return
    raise AssertionError("expected %s from %s%r" % (exc_type.__name__, fn.__name__, a))


def commit(t, ok=True):
    """Commits a kazoo transaction; ok: every op must succeed, else one must fail."""
    res = t.commit()
    failed = any(isinstance(r, Exception) for r in res)
    if failed == ok:
        raise AssertionError("multi %s: %r" % ("failed" if ok else "unexpectedly succeeded", res))
    return res


def wait_gone(zk, paths, timeout=60.0, what="node"):
    wait_until(lambda: all(zk.exists(p) is None for p in paths), timeout, "%s removal: %r" % (what, paths),
               interval=0.25)


def child_proc(workdir, *args):
    """A Proc running this module as `python3 -m ... args` (log <workdir>/<args[0]>.log)."""
    return Proc([sys.executable, "-m", "tests.peers.makers.zk_workload"] + list(args),
                args[0], workdir.file(args[0] + ".log"), cwd=REPO)


def expire_session(zk, hosts, paths, workdir, session_timeout=2.0):
    """A child opens a session with a short timeout and creates the ephemeral
    `paths`; it is SIGKILLed and the server expires the session (closeSession
    with cxid 0) and removes the ephemerals."""
    child = child_proc(workdir, "hold", hosts, str(session_timeout), ",".join(paths))
    since = child.log_size()
    child.start()

    def ready():
        child.check_alive()
        return next((l.split()[1] for l in child.log_text(since).splitlines() if l.startswith("READY ")), None)
    session = wait_until(ready, 60, "the holder child's ephemerals")
    for p in paths:
        if zk.exists(p) is None:
            raise AssertionError("ephemeral %s missing" % p)
    child.kill()
    wait_gone(zk, paths, timeout=60.0, what="expired ephemeral")
    log.info("  expired session %s (ephemerals %s)", session, ",".join(paths))


def churn(zk, prefix, n, keep_every=5):
    """n rounds of create / setData / (mostly) delete, keeping the tree
    small.  Returns the number of txns issued."""
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


def standalone1(hosts, count, workdir):
    """The standalone set's first run: every txn type."""
    zk = connect(hosts, auth="user:pw")
    digest_all = make_digest_acl("user", "pw", all=True)

    # creates: persistent, empty / non-empty / binary / null data
    zk.create("/app", b"")                              # create(1), empty data
    zk.create("/app/config", b"hello world")
    zk.create("/app/bin", BIN)                          # binary (non-UTF-8) data
    zk.create("/app/null", None)                        # null data (length -1)
    zk.create("/\u00e9", "caf\u00e9".encode("utf-8"))    # "/é"
    zk.create("/\u65e5\u672c", "\u65e5\u672c\u8a9e".encode("utf-8"), include_data=True)  # "/日本" via create2(15)
    zk.create("/app/c2", b"made by create2", include_data=True)
    seq = [zk.create("/app/seq-", b"s%d" % i, sequence=True) for i in range(3)]
    zk.create("/app/seq2-", b"", sequence=True, include_data=True)          # create2 + sequential
    zk.create("/app/eph", b"ephemeral of main session", ephemeral=True)
    zk.create("/app/ephseq-", b"", ephemeral=True, sequence=True)
    zk.create("/app/ephseq-", BIN, ephemeral=True, sequence=True, include_data=True)

    # containers and TTL nodes (kazoo has no API: raw requests)
    call(zk, CreateContainer("/cont", b"container", OPEN_ACL_UNSAFE, 4))      # createContainer(19)
    call(zk, CreateContainer("/cont-unused", b"", OPEN_ACL_UNSAFE, 4))        # never gets a child: stays
    zk.create("/cont/child", b"x")
    zk.create("/cont/child2", b"")
    call(zk, CreateTTL("/ttl-short", b"ttl 1000ms", OPEN_ACL_UNSAFE, 5, 1000))   # createTTL(21)
    call(zk, CreateTTL("/ttl-long", b"", OPEN_ACL_UNSAFE, 5, 3600 * 1000))
    call(zk, CreateTTL("/app/ttlseq-", b"seq ttl", OPEN_ACL_UNSAFE, 6, 86400 * 1000))

    # setData / setACL / digest ACLs
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

    # successful multis: create, setData, delete, check, + extended creates
    t = zk.transaction()
    t.create("/app/tx1", b"in multi")
    t.set_data("/app/config", b"v4-multi")
    t.delete(seq[0])
    t.check("/app", 0)
    commit(t)
    res = call(zk, Multi([
        Create("/app/tx2", b"", OPEN_ACL_UNSAFE, 2),                 # sequential create inside multi
        CreateContainer("/cont2", b"c2", OPEN_ACL_UNSAFE, 4),
        CreateTTL("/app/tx-ttl", b"ttl in multi", OPEN_ACL_UNSAFE, 5, 86400 * 1000),
        SetData("/app/tx1", BIN, 0),
        CheckVersion("/app/tx1", 1),
        Delete(seq[1], -1),
    ]))
    if any(isinstance(r, Exception) for r in res):
        raise AssertionError("multi 2 failed: %r" % res)

    # failing multis: op #2 creates an existing node; a wrong check first
    t = zk.transaction()
    t.create("/app/tx3", b"never")
    t.create("/app", b"exists")                 # NODEEXISTS -> error sub-txn
    t.set_data("/app/config", b"never")         # -> error(-2) RUNTIMEINCONSISTENCY
    commit(t, ok=False)
    t = zk.transaction()
    t.check("/app/config", 42)
    t.create("/app/tx4", b"never")
    commit(t, ok=False)

    # top-level error txns
    expect(NodeExistsError, zk.create, "/app", b"")             # -110
    expect(NoNodeError, zk.delete, "/does-not-exist")           # -101
    expect(BadVersionError, zk.set, "/app/config", b"x", version=99)   # -103
    expect(NotEmptyError, zk.delete, "/app")                    # -111
    expect(NoNodeError, zk.create, "/no/parent", b"")           # -101
    other = connect(hosts)                                      # no auth
    expect(NoAuthError, other.set, "/secure", b"hacked")        # -102
    expect(NoAuthError, other.create, "/secure/child", b"")     # -102 (CREATE on /secure)
    close(other)                                                # explicit closeSession (no ephemerals)

    # explicitly closed session that owns ephemerals
    s3 = connect(hosts)
    s3.create("/app/closing-eph", b"", ephemeral=True)
    s3.create("/app/closing-eph-seq-", b"", ephemeral=True, sequence=True)
    close(s3)

    # deletes
    zk.delete(seq[2])                                           # delete(2)
    zk.delete("/cont/child")
    zk.delete("/cont/child2")                                   # /cont is now an empty used container

    expire_session(zk, hosts, ["/app/exp-1", "/\u00e9/exp-\u00e9"], workdir)

    # bulk writes (several logs and snapshots with snapCount=40)
    zk.create("/app/items", b"")
    log.info("  churn txns: %d", churn(zk, "/app/items", count))

    # deleteContainer: the emptied container and the expired TTL node
    wait_gone(zk, ["/cont", "/ttl-short"], timeout=30.0, what="container/TTL")
    log.info("  /cont and /ttl-short removed by the server (deleteContainer)")
    zk.set("/app/config", b"end of phase 1")
    close(zk)                                                   # closeSession with /app/eph etc.


def standalone2(hosts, tag, count):
    """A few more writes after a restart (the gz / snappy runs)."""
    zk = connect(hosts, auth="user:pw")
    base = "/app/" + tag
    zk.create(base, tag.encode(), include_data=True)
    zk.create(base + "/eph", b"", ephemeral=True)
    n = churn(zk, base, count, keep_every=4)
    zk.set("/app/config", ("after restart " + tag).encode())
    expect(NodeExistsError, zk.create, base, b"")
    t = zk.transaction()
    t.create(base + "/tx", b"")
    t.set_data(base, b"multi " + tag.encode())
    t.check(base, 1)                      # version after the setData above
    commit(t)
    log.info("  %s: churn txns %d", tag, n)
    close(zk)


def legacy(hosts, count, workdir):
    """A few dozen mixed txns for the legacy set."""
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
    commit(t)
    t = zk.transaction()
    t.create("/legacy/tx2", b"")
    t.create("/legacy/tx", b"")          # fails: NODEEXISTS
    commit(t, ok=False)
    expect(NodeExistsError, zk.create, "/legacy", b"")
    expect(NoNodeError, zk.delete, "/legacy/missing")
    expect(BadVersionError, zk.set, "/legacy/data", b"", version=7)
    s2 = connect(hosts)
    s2.create("/legacy/eph-closed", b"", ephemeral=True)
    close(s2)
    expire_session(zk, hosts, ["/legacy/exp-1", "/legacy/exp-2"], workdir)
    zk.create("/legacy/items", b"")
    log.info("  legacy churn txns: %d", churn(zk, "/legacy/items", count, keep_every=3))
    close(zk)


def ensemble(hosts, tag, count, workdir, extras=False, expire=False):
    """Writes for one epoch of the ensemble set."""
    zk = connect(hosts, auth="user:pw")
    zk.ensure_path("/ens")
    base = "/ens/" + tag
    zk.create(base, tag.encode())
    zk.create(base + "/eph", b"", ephemeral=True)
    zk.create(base + "/seq-", b"", sequence=True)
    zk.create(base + "/c2", BIN, include_data=True)
    if extras:
        zk.create(base + "/secure", b"", acl=[make_digest_acl("user", "pw", all=True)])
        zk.set_acls(base, [make_acl("world", "anyone", all=True)])
        t = zk.transaction()
        t.create(base + "/tx", b"")
        t.set_data(base, b"multi")
        t.check(base, 1)                  # version after the setData above
        commit(t)
        t = zk.transaction()
        t.create(base + "/tx2", b"")
        t.create(base + "/tx", b"")          # fails: NODEEXISTS
        commit(t, ok=False)
        expect(NodeExistsError, zk.create, base, b"")
        expect(NoNodeError, zk.delete, base + "/missing")
    if expire:
        expire_session(zk, hosts, [base + "/exp-1", base + "/exp-2"], workdir)
    log.info("  %s: churn txns %d", tag, churn(zk, base, count, keep_every=5))
    close(zk)


def reconfig(hosts, super_auth, joining=None, members=None):
    """One or two no-op reconfigs (opcode 16) as the super user."""
    zk = connect(hosts, auth=super_auth)
    data, stat = zk.get("/zookeeper/config")
    log.info("  config before: %r (mzxid 0x%x)", data.decode(), stat.mzxid)
    if joining:
        data, stat = zk.reconfig(joining=joining, leaving=None, new_members=None)
        log.info("  incremental reconfig -> version 0x%x", stat.mzxid)
    if members:
        data, stat = zk.reconfig(joining=None, leaving=None, new_members=members)
        log.info("  non-incremental reconfig -> version 0x%x", stat.mzxid)
    log.info("  config after: %r", data.decode())
    close(zk)


# -- the children -----------------------------------------------------------------
def hold(hosts, session_timeout, paths):
    zk = connect(hosts, session_timeout=session_timeout)
    for p in paths:
        zk.create(p, b"held by " + p.encode(), ephemeral=True)
    print("READY 0x%x" % zk.client_id[0], flush=True)
    while True:
        time.sleep(3600)


def check13(hosts):
    zk = connect(hosts)
    zk.create("/a", b"")
    zk.set("/a", b"x")
    expect(BadVersionError, call, zk, TopCheck("/a", 0))     # error txn (-103)
    # Top-level check, opcode 13.  ZooKeeper 3.8.0 logs the txn, but then
    # fails to send the reply (NPE serialising a SetDataResponse with a null
    # stat, "Unexpected exception. Destruction averted."), so no answer ever
    # arrives: wait briefly and carry on.
    ar = send(zk, TopCheck("/a", 1))
    try:
        print("  top-level check answered, stat version %d" % ar.get(timeout=3).version)
    except zk.handler.timeout_exception:
        print("  top-level check sent; no reply (expected with 3.8.0)")
    sys.stdout.flush()
    # Leave without closing the session: the check must stay the last txn.
    # The maker stops the server long before the 10 s session timeout.
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["hold"] and len(sys.argv) == 5:
        hold(sys.argv[2], float(sys.argv[3]), sys.argv[4].split(","))
    elif sys.argv[1:2] == ["check13"] and len(sys.argv) == 3:
        check13(sys.argv[2])
    sys.exit("usage: python3 -m tests.peers.makers.zk_workload hold HOSTS TIMEOUT PATHS | check13 HOSTS")
