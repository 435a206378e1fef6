"""The deterministic conformance workload of node_vs_zk: one standalone
server (a real Apache ZooKeeper 3.8 or zabra-node) driven by kazoo
(python3-kazoo 2.8, Debian's /usr/bin/python3) and a small raw-protocol
client, one JSON object per line per step.

    /usr/bin/python3 -m tests.peers.checks.node_workload HOST:PORT [--out FILE]

The outputs of two servers that both start from an empty data dir can be
diffed: what legitimately differs is normalized away (node_workload_base).
Everything else is printed as is and must match exactly: czxid, mzxid, pzxid,
version, cversion, aversion, dataLength, numChildren, data, ACLs, error class
names, and "zxid" -- the zxid of the reply header of the step's request as the
client saw it (kazoo's last_zxid), which shows whether a request consumed a
zxid (writes, failed writes, session create/close) or not.

The server is expected to run with tickTime=1000 (session timeouts are then
negotiated into [2000, 20000] ms), extended types enabled (TTL nodes) and a
container/TTL check interval of about one second (see node_vs_zk).

Exit status: 0 when the workload ran to the end (whatever the results),
3 when it gave up because the server stopped answering, 2 on usage errors.
"""
import argparse
import logging
import socket
import sys
import time

from kazoo.protocol import serialization as ser
from kazoo.protocol.serialization import CheckVersion, Create, Delete, SetData
from kazoo.security import ACL, Id, OPEN_ACL_UNSAFE, make_acl, make_digest_acl

from tests.peers.checks.node_workload_base import (Abort, Events, call, connect_step, emit, fourlw_step, nacl,
                                                   ndata, nmulti, nresult, nstat, poll, raw_connect_outcome, run,
                                                   session_label, set_output, wait, err_name)
from tests.peers.workloads.zk_records import (CreateContainer, CreateTTL, GetAllChildrenNumber, GetEphemerals,
                                              Multi, RawCreate, RawCreate2, TopCheck)

BIN = bytes([0x00, 0x01, 0x7F, 0x80, 0xC3, 0x28, 0xFE, 0xFF])      # not UTF-8
WORLD_ALL = OPEN_ACL_UNSAFE
WORLD_READ = [make_acl("world", "anyone", read=True)]


def workload(hp):
    # ---------------- before any session --------------------------------
    fourlw_step("4lw ruok", hp, "ruok")
    fourlw_step("4lw isro", hp, "isro")
    fourlw_step("4lw srvr (initial)", hp, "srvr", keys=("Zxid", "Mode", "Node count"))

    a = connect_step(hp, "connect A (timeout 10s)")

    def A(step, fn, fmt=lambda r: r):
        return run(step, a, fn, fmt)

    def gs(r):
        return {"data": ndata(r[0]), "stat": nstat(r[1])}

    def ch(r):
        if isinstance(r, tuple):
            return {"children": sorted(r[0]), "stat": nstat(r[1])}
        return sorted(r)

    def acls(r):
        return {"acl": nacl(r[0]), "stat": nstat(r[1])}

    # ---------------- the initial tree ----------------------------------
    for p in ("/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"):
        A("get %s" % p, lambda p=p: wait(a.get_async(p)), gs)
        A("children2 %s" % p, lambda p=p: wait(a.get_children_async(p, include_data=True)), ch)
        A("getAcl %s" % p, lambda p=p: wait(a.get_acls_async(p)), acls)
    A("exists /", lambda: wait(a.exists_async("/")), nstat)
    A("exists /nope", lambda: wait(a.exists_async("/nope")), nstat)
    A("get /nope", lambda: wait(a.get_async("/nope")), gs)

    # ---------------- creates -------------------------------------------
    A("create /p", lambda: wait(a.create_async("/p", b"persistent")))
    A("create /p again (NodeExists)", lambda: wait(a.create_async("/p", b"again")))
    A("create2 /p/a", lambda: wait(a.create_async("/p/a", b"", include_data=True)), nresult)
    A("create /p/null (null data)", lambda: call(a, RawCreate("/p/null", None, WORLD_ALL, 0)))
    A("get /p/null", lambda: wait(a.get_async("/p/null")), gs)
    A("create /p/bin (binary)", lambda: wait(a.create_async("/p/bin", BIN)))
    A("create /p/utf8", lambda: wait(a.create_async("/p/\u00e9t\u00e9", "caf\u00e9 \u65e5\u672c".encode())))
    for i in range(3):
        A("create /p/seq- #%d" % i, lambda: wait(a.create_async("/p/seq-", b"s", sequence=True)))
    A("create2 /p/seq- (include_data)",
      lambda: wait(a.create_async("/p/seq-", b"s3", sequence=True, include_data=True)), nresult)
    A("create /p/eph", lambda: wait(a.create_async("/p/eph", b"e", ephemeral=True)))
    A("create2 /p/eph again (NodeExists)",
      lambda: wait(a.create_async("/p/eph", b"e", ephemeral=True, include_data=True)), nresult)
    A("create /p/ephseq- #0",
      lambda: wait(a.create_async("/p/ephseq-", b"es", ephemeral=True, sequence=True)))
    A("create2 /p/ephseq- #1",
      lambda: wait(a.create_async("/p/ephseq-", b"es", ephemeral=True, sequence=True,
                                  include_data=True)), nresult)
    A("get /p/eph", lambda: wait(a.get_async("/p/eph")), gs)
    A("create /p/eph/child (NoChildrenForEphemerals)",
      lambda: wait(a.create_async("/p/eph/child", b"")))
    A("create /p/eph/child seq (NoChildrenForEphemerals)",
      lambda: wait(a.create_async("/p/eph/child-", b"", sequence=True)))
    A("create /missing/child (NoNode)", lambda: wait(a.create_async("/missing/child", b"")))
    A("create /p/a/b/c/d makepath",
      lambda: wait(a.create_async("/p/a/b/c/d", b"deep", makepath=True)))
    A("create /mk/x/y makepath include_data",
      lambda: wait(a.create_async("/mk/x/y", b"", makepath=True, include_data=True)), nresult)
    for p in ("/p/a", "/p/a/b", "/p/a/b/c", "/mk", "/mk/x"):
        A("get %s" % p, lambda p=p: wait(a.get_async(p)), gs)
    A("create /p/seqdir/ (trailing slash, sequential)",
      lambda: call(a, RawCreate("/p/", b"x", WORLD_ALL, 2)))
    for bad in ("/p/", "p", "/p//x", "/p/./x", "/p/../x", "/p/x\u0000y", ""):
        A("create invalid path %r" % bad, lambda bad=bad: call(a, RawCreate(bad, b"", WORLD_ALL, 0)))
    A("create flags=99 (invalid mode)", lambda: call(a, RawCreate("/badflags", b"", WORLD_ALL, 99)))
    A("create empty ACL (InvalidACL)", lambda: call(a, RawCreate("/noacl", b"", [], 0)))
    A("create ACL auth: without auth",
      lambda: wait(a.create_async("/authacl", b"", acl=[make_acl("auth", "", all=True)])))
    A("create ACL unknown scheme",
      lambda: wait(a.create_async("/fooacl", b"", acl=[make_acl("foo", "bar", all=True)])))
    A("create ACL digest id without hash",
      lambda: wait(a.create_async("/dacl", b"", acl=[make_acl("digest", "user", all=True)])))
    A("create ACL world:someone",
      lambda: wait(a.create_async("/wacl", b"", acl=[make_acl("world", "someone", all=True)])))
    A("create ACL perms 0", lambda: call(a, RawCreate("/perm0", b"", [ACL(0, Id("world", "anyone"))], 0)))
    A("get /perm0 (NoAuth)", lambda: wait(a.get_async("/perm0")), gs)
    A("create /zookeeper/x", lambda: wait(a.create_async("/zookeeper/x", b"")))
    A("create / (root)", lambda: wait(a.create_async("/", b"")))
    A("create /missing/x empty ACL (InvalidACL before NoNode)",
      lambda: call(a, RawCreate("/missing/x", b"", [], 0)))
    A("create /p/eph empty ACL (InvalidACL before NodeExists)",
      lambda: call(a, RawCreate("/p/eph", b"", [], 0)))
    A("create /p/eph/x/y (NoNode before NoChildrenForEphemerals)",
      lambda: wait(a.create_async("/p/eph/x/y", b"")))

    # ---------------- containers and TTL nodes (raw requests) -----------
    A("createContainer /ctr", lambda: call(a, CreateContainer("/ctr", b"c", WORLD_ALL, 4)), nresult)
    A("create /ctr/c1", lambda: wait(a.create_async("/ctr/c1", b"")))
    A("create /ctr/c2 ephemeral", lambda: wait(a.create_async("/ctr/c2", b"", ephemeral=True)))
    A("get /ctr", lambda: wait(a.get_async("/ctr")), gs)
    A("createContainer /ctr-unused", lambda: call(a, CreateContainer("/ctr-unused", b"", WORLD_ALL, 4)), nresult)
    A("create (op 1) flags=5 ttl", lambda: call(a, RawCreate("/ttl-op1", b"", WORLD_ALL, 5)))
    A("createContainer /ctr/s- (nested container)",
      lambda: call(a, CreateContainer("/ctr/s-", b"", WORLD_ALL, 4)), nresult)
    A("createTTL /ttl (1h)", lambda: call(a, CreateTTL("/ttl", b"t", WORLD_ALL, 5, 3600000)), nresult)
    A("get /ttl", lambda: wait(a.get_async("/ttl")), gs)
    A("createTTL /ttl/seq- (sequential, 1d)",
      lambda: call(a, CreateTTL("/ttl/seq-", b"", WORLD_ALL, 6, 86400000)), nresult)
    A("createTTL flags=0 ttl=1000", lambda: call(a, CreateTTL("/ttl-f0", b"", WORLD_ALL, 0, 1000)), nresult)
    A("createTTL flags=1 ttl=1000", lambda: call(a, CreateTTL("/ttl-f1", b"", WORLD_ALL, 1, 1000)), nresult)
    A("createTTL flags=4 ttl=1000", lambda: call(a, CreateTTL("/ttl-f4", b"", WORLD_ALL, 4, 1000)), nresult)
    A("createTTL ttl=0", lambda: call(a, CreateTTL("/ttl-0", b"", WORLD_ALL, 5, 0)), nresult)
    A("createTTL ttl=-1", lambda: call(a, CreateTTL("/ttl-neg", b"", WORLD_ALL, 5, -1)), nresult)
    A("createTTL ttl=2^40-1 (max)",
      lambda: call(a, CreateTTL("/ttl-max", b"", WORLD_ALL, 5, (1 << 40) - 1)), nresult)
    A("createTTL ttl=2^40 (too big)",
      lambda: call(a, CreateTTL("/ttl-big", b"", WORLD_ALL, 5, 1 << 40)), nresult)
    A("create /ttl/eph ephemeral under TTL", lambda: wait(a.create_async("/ttl/eph", b"", ephemeral=True)))
    A("createTTL under ephemeral (NoChildrenForEphemerals)",
      lambda: call(a, CreateTTL("/p/eph/t", b"", WORLD_ALL, 5, 1000)), nresult)

    # ---------------- set / get / exists --------------------------------
    A("set /p", lambda: wait(a.set_async("/p", b"v1")), nstat)
    A("set /p version=1", lambda: wait(a.set_async("/p", b"v2", version=1)), nstat)
    A("set /p version=1 (BadVersion)", lambda: wait(a.set_async("/p", b"v3", version=1)), nstat)
    A("set /p version=-1", lambda: wait(a.set_async("/p", b"v3", version=-1)), nstat)
    A("set /p same data", lambda: wait(a.set_async("/p", b"v3")), nstat)
    A("set /nope (NoNode)", lambda: wait(a.set_async("/nope", b"x")), nstat)
    A("set /p/bin empty", lambda: wait(a.set_async("/p/bin", b"")), nstat)
    A("set /p/null null", lambda: call(a, SetData("/p/null", None, -1)), nstat)
    A("get /p/null", lambda: wait(a.get_async("/p/null")), gs)
    A("set /p/a 10KB", lambda: wait(a.set_async("/p/a", b"0123456789" * 1024)), nstat)
    A("set /p/eph", lambda: wait(a.set_async("/p/eph", b"e2")), nstat)
    A("set /ttl (TTL node)", lambda: wait(a.set_async("/ttl", b"t2")), nstat)
    A("set /ctr (container)", lambda: wait(a.set_async("/ctr", b"c2")), nstat)
    A("set / (root)", lambda: wait(a.set_async("/", b"root")), nstat)
    A("get /", lambda: wait(a.get_async("/")), gs)
    A("set / back to empty", lambda: wait(a.set_async("/", b"")), nstat)
    A("get /p", lambda: wait(a.get_async("/p")), gs)
    A("exists /p", lambda: wait(a.exists_async("/p")), nstat)
    A("exists /p/nope", lambda: wait(a.exists_async("/p/nope")), nstat)
    A("check /p version=9 (top-level op 13)", lambda: call(a, TopCheck("/p", 9)), nresult)

    # ---------------- children -------------------------------------------
    A("children /p", lambda: wait(a.get_children_async("/p")), ch)
    A("children2 /p", lambda: wait(a.get_children_async("/p", include_data=True)), ch)
    A("children2 /", lambda: wait(a.get_children_async("/", include_data=True)), ch)
    A("children2 /p/eph", lambda: wait(a.get_children_async("/p/eph", include_data=True)), ch)
    A("children /nope (NoNode)", lambda: wait(a.get_children_async("/nope")), ch)
    A("getAllChildrenNumber /p", lambda: call(a, GetAllChildrenNumber("/p")))
    A("getAllChildrenNumber /", lambda: call(a, GetAllChildrenNumber("/")))
    A("getEphemerals /", lambda: call(a, GetEphemerals("/")), sorted)
    A("getEphemerals /p/eph", lambda: call(a, GetEphemerals("/p/eph")), sorted)

    # ---------------- deletes --------------------------------------------
    A("delete /p/a version=5 (BadVersion)", lambda: wait(a.delete_async("/p/a", version=5)))
    A("delete /p/a (NotEmpty)", lambda: wait(a.delete_async("/p/a")))
    A("delete /p/a/b/c/d version=0", lambda: wait(a.delete_async("/p/a/b/c/d", version=0)))
    A("delete /p/a/b/c", lambda: wait(a.delete_async("/p/a/b/c")))
    A("children2 /p/a/b", lambda: wait(a.get_children_async("/p/a/b", include_data=True)), ch)
    A("delete /p/nope (NoNode)", lambda: wait(a.delete_async("/p/nope")))
    A("delete /nope/deeper (NoNode)", lambda: wait(a.delete_async("/nope/deeper")))
    A("delete /p/seq-0000000004", lambda: wait(a.delete_async("/p/seq-0000000004")))
    A("delete /p/seq-0000000004 again", lambda: wait(a.delete_async("/p/seq-0000000004")))
    A("create /p/seq- after delete", lambda: wait(a.create_async("/p/seq-", b"", sequence=True)))
    A("children2 /p", lambda: wait(a.get_children_async("/p", include_data=True)), ch)
    A("delete / (root)", lambda: wait(a.delete_async("/")))
    A("delete /zookeeper", lambda: wait(a.delete_async("/zookeeper")))
    A("delete /zookeeper/quota", lambda: wait(a.delete_async("/zookeeper/quota")))
    A("delete /ttl (NotEmpty)", lambda: wait(a.delete_async("/ttl")))
    A("set /zookeeper/quota", lambda: wait(a.set_async("/zookeeper/quota", b"q")), nstat)
    A("set /zookeeper/config (NoAuth)", lambda: wait(a.set_async("/zookeeper/config", b"c")), nstat)
    A("setAcl /zookeeper/x", lambda: wait(a.set_acls_async("/zookeeper/x", WORLD_ALL)), nstat)
    A("delete /zookeeper/x", lambda: wait(a.delete_async("/zookeeper/x")))

    # ---------------- ACLs and auth --------------------------------------
    dig_all = make_digest_acl("user", "pass", all=True)
    dig_rw = make_digest_acl("user", "pass", read=True, write=True)
    A("create /secure digest-only", lambda: wait(a.create_async("/secure", b"secret", acl=[dig_all])))
    A("getAcl /secure (unauthenticated)", lambda: wait(a.get_acls_async("/secure")), acls)
    A("get /secure (NoAuth)", lambda: wait(a.get_async("/secure")), gs)
    A("exists /secure (no ACL check)", lambda: wait(a.exists_async("/secure")), nstat)
    A("children /secure (NoAuth)", lambda: wait(a.get_children_async("/secure")), ch)
    A("set /secure (NoAuth)", lambda: wait(a.set_async("/secure", b"x")), nstat)
    A("create /secure/c (NoAuth)", lambda: wait(a.create_async("/secure/c", b"")))
    A("delete /secure/nope (NoAuth before NoNode)", lambda: wait(a.delete_async("/secure/nope")))
    A("create /secure/nope/x (NoNode: parent missing)", lambda: wait(a.create_async("/secure/nope/x", b"")))
    A("setAcl /secure (NoAuth)", lambda: wait(a.set_acls_async("/secure", WORLD_ALL)), nstat)
    A("sync /secure", lambda: wait(a.sync_async("/secure")))

    b = connect_step(hp, "connect B")

    def B(step, fn, fmt=lambda r: r):
        return run(step, b, fn, fmt)

    B("B addAuth digest user:pass", lambda: wait(b.add_auth_async("digest", "user:pass")))
    B("B get /secure", lambda: wait(b.get_async("/secure")), gs)
    B("B getAcl /secure", lambda: wait(b.get_acls_async("/secure")), acls)
    B("B set /secure", lambda: wait(b.set_async("/secure", b"secret2")), nstat)
    B("B create /secure/child acl=auth",
      lambda: wait(b.create_async("/secure/child", b"c", acl=[make_acl("auth", "", all=True)])))
    B("B getAcl /secure/child", lambda: wait(b.get_acls_async("/secure/child")), acls)
    B("B create /secure/mixed acl=[auth r, world r, dup]",
      lambda: wait(b.create_async("/secure/mixed", b"", acl=[
          make_acl("auth", "", read=True), make_acl("world", "anyone", read=True),
          make_acl("world", "anyone", read=True), dig_rw])))
    B("B getAcl /secure/mixed", lambda: wait(b.get_acls_async("/secure/mixed")), acls)
    B("B setAcl /secure version=0", lambda: wait(b.set_acls_async("/secure", [dig_all] + WORLD_READ, version=0)), nstat)
    B("B setAcl /secure version=0 (BadVersion)",
      lambda: wait(b.set_acls_async("/secure", [dig_all], version=0)), nstat)
    B("B setAcl /secure empty (InvalidACL)", lambda: wait(b.set_acls_async("/secure", [])), nstat)
    B("B setAcl /nope (NoNode)", lambda: wait(b.set_acls_async("/nope", WORLD_ALL)), nstat)
    A("get /secure (now world-readable)", lambda: wait(a.get_async("/secure")), gs)
    A("getAcl /secure", lambda: wait(a.get_acls_async("/secure")), acls)
    A("set /secure (NoAuth)", lambda: wait(a.set_async("/secure", b"x")), nstat)
    A("get /secure/child (NoAuth)", lambda: wait(a.get_async("/secure/child")), gs)
    A("getAcl /secure/child (NoAuth: neither READ nor ADMIN)", lambda: wait(a.get_acls_async("/secure/child")), acls)
    A("children2 /secure (world read)", lambda: wait(a.get_children_async("/secure", include_data=True)), ch)
    A("create /ro world:r", lambda: wait(a.create_async("/ro", b"ro", acl=WORLD_READ)))
    A("set /ro (NoAuth)", lambda: wait(a.set_async("/ro", b"x")), nstat)
    A("setAcl /ro (NoAuth)", lambda: wait(a.set_acls_async("/ro", WORLD_ALL)), nstat)
    A("create /ro/c (NoAuth)", lambda: wait(a.create_async("/ro/c", b"")))
    A("create /secure/child (NoAuth before NodeExists)", lambda: wait(a.create_async("/secure/child", b"")))
    A("delete /secure/child (parent world:r -> NoAuth)", lambda: wait(a.delete_async("/secure/child")))
    A("delete /ro (parent / allows delete)", lambda: wait(a.delete_async("/ro")))
    A("create /ro world:r again", lambda: wait(a.create_async("/ro", b"ro", acl=WORLD_READ)))
    A("create /iponly ip:127.0.0.1",
      lambda: wait(a.create_async("/iponly", b"ip", acl=[make_acl("ip", "127.0.0.1", all=True)])))
    A("get /iponly", lambda: wait(a.get_async("/iponly")), gs)
    A("create /ipnet ip:10.0.0.0/8",
      lambda: wait(a.create_async("/ipnet", b"", acl=[make_acl("ip", "10.0.0.0/8", all=True)])))
    A("get /ipnet (NoAuth)", lambda: wait(a.get_async("/ipnet")), gs)
    A("create ACL ip:bogus", lambda: wait(a.create_async("/ipbad", b"", acl=[make_acl("ip", "not-an-ip", all=True)])))
    c = connect_step(hp, "connect C")

    def C(step, fn, fmt=lambda r: r):
        return run(step, c, fn, fmt)

    C("C addAuth digest user:wrong", lambda: wait(c.add_auth_async("digest", "user:wrong")))
    C("C get /secure/child (NoAuth)", lambda: wait(c.get_async("/secure/child")), gs)
    C("C addAuth digest user:pass (second identity)", lambda: wait(c.add_auth_async("digest", "user:pass")))
    C("C get /secure/child", lambda: wait(c.get_async("/secure/child")), gs)
    C("C create /secure/c3 acl=auth (two digest ids)",
      lambda: wait(c.create_async("/secure/c3", b"", acl=[make_acl("auth", "", all=True)])))
    C("C getAcl /secure/c3", lambda: wait(c.get_acls_async("/secure/c3")), acls)

    # ---------------- multi ----------------------------------------------
    def commit(t):
        return wait(t.commit_async())

    t = a.transaction()
    t.create("/m", b"m")
    t.create("/m/child", b"mc")
    t.set_data("/p", b"multi", version=4)
    t.check("/p", 5)
    t.delete("/p/bin")
    A("multi ok (create, create, set, check, delete)", lambda: commit(t), nmulti)
    A("get /p", lambda: wait(a.get_async("/p")), gs)
    A("children2 /m", lambda: wait(a.get_children_async("/m", include_data=True)), ch)
    t = a.transaction()
    t.create("/m2", b"")
    t.check("/p", 99)
    t.set_data("/p", b"never")
    t.delete("/p/utf8-nope")
    A("multi failing at check (BadVersion)", lambda: commit(t), nmulti)
    A("exists /m2 (rolled back)", lambda: wait(a.exists_async("/m2")), nstat)
    t = a.transaction()
    t.create("/m3", b"")
    t.create("/m3/x", b"")
    t.create("/m3", b"dup")
    A("multi failing at create (NodeExists within multi)", lambda: commit(t), nmulti)
    t = a.transaction()
    t.set_data("/ro", b"x")
    t.create("/m4", b"")
    A("multi failing at set (NoAuth)", lambda: commit(t), nmulti)
    t = a.transaction()
    t.create("/m5", b"", ephemeral=True)
    t.create("/m5/c", b"")
    A("multi failing (NoChildrenForEphemerals)", lambda: commit(t), nmulti)
    t = a.transaction()
    t.delete("/m/child")
    t.delete("/m")
    t.create("/m", b"again")
    t.create("/m/seq-", b"", sequence=True)
    t.create("/m/seq-", b"", sequence=True)
    A("multi ok (delete, delete, re-create, 2 sequential)", lambda: commit(t), nmulti)
    A("children2 /m", lambda: wait(a.get_children_async("/m", include_data=True)), ch)
    t = a.transaction()
    t.delete("/m")
    A("multi failing at delete (NotEmpty)", lambda: commit(t), nmulti)
    t = a.transaction()
    t.check("/nope", -1)
    A("multi failing check (NoNode)", lambda: commit(t), nmulti)
    A("multi empty", lambda: commit(a.transaction()), nmulti)
    A("multi raw (create2, container, TTL, seq TTL, set, check, delete)", lambda: call(a, Multi([
        RawCreate2("/mx", b"create2 in multi", WORLD_ALL, 0),
        CreateContainer("/mx-ctr", b"", WORLD_ALL, 4),
        CreateTTL("/mx-ttl", b"ttl in multi", WORLD_ALL, 5, 86400000),
        CreateTTL("/mx-ttlseq-", b"", WORLD_ALL, 6, 86400000),
        RawCreate("/mx/eph", b"", WORLD_ALL, 1),
        SetData("/mx", b"set", 0),
        CheckVersion("/mx", 1),
        Delete("/mx/eph", 0),
    ])), nmulti)
    A("multi raw failing (create2 ok, TTL ttl=0)", lambda: call(a, Multi([
        RawCreate2("/my", b"", WORLD_ALL, 0),
        CreateTTL("/my-ttl", b"", WORLD_ALL, 5, 0),
    ])), nmulti)
    A("multi raw failing (delete with BadVersion last)", lambda: call(a, Multi([
        SetData("/mx", b"x", -1),
        Delete("/mx", 7),
    ])), nmulti)
    A("get /mx", lambda: wait(a.get_async("/mx")), gs)
    A("get /mx-ttl", lambda: wait(a.get_async("/mx-ttl")), gs)
    A("get /mx-ctr", lambda: wait(a.get_async("/mx-ctr")), gs)

    # ---------------- sync ----------------------------------------------
    A("sync /", lambda: wait(a.sync_async("/")))
    A("sync /p", lambda: wait(a.sync_async("/p")))
    A("sync /nope", lambda: wait(a.sync_async("/nope")))

    # ---------------- watches --------------------------------------------
    ev = Events()
    A("exists /w watch (absent)", lambda: wait(a.exists_async("/w", watch=ev.watcher("exists"))), nstat)
    A("children /p watch", lambda: wait(a.get_children_async("/p", watch=ev.watcher("children"))), ch)
    B("B create /w", lambda: wait(b.create_async("/w", b"w")))
    emit("events after create /w", events=ev.take(1))
    A("get /w watch", lambda: wait(a.get_async("/w", watch=ev.watcher("get"))), gs)
    A("exists /w watch", lambda: wait(a.exists_async("/w", watch=ev.watcher("exists2"))), nstat)
    B("B set /w", lambda: wait(b.set_async("/w", b"w2")), nstat)
    emit("events after set /w", events=ev.take(2))
    A("get /w watch", lambda: wait(a.get_async("/w", watch=ev.watcher("get"))), gs)
    A("children /w watch", lambda: wait(a.get_children_async("/w", watch=ev.watcher("wchildren"))), ch)
    B("B create /p/x (child of watched /p)", lambda: wait(b.create_async("/p/x", b"")))
    emit("events after create /p/x", events=ev.take(1))
    B("B delete /w", lambda: wait(b.delete_async("/w")))
    emit("events after delete /w", events=ev.take(2))
    A("get /p/x watch", lambda: wait(a.get_async("/p/x", watch=ev.watcher("own"))), gs)
    A("set /p/x by the watching session", lambda: wait(a.set_async("/p/x", b"own")), nstat)
    emit("events after own set /p/x", events=ev.take(1))
    A("exists /p/x watch", lambda: wait(a.exists_async("/p/x", watch=ev.watcher("multi"))), nstat)
    A("children /p watch", lambda: wait(a.get_children_async("/p", watch=ev.watcher("pchildren"))), ch)
    t = b.transaction()
    t.delete("/p/x")
    t.create("/p/y", b"")
    B("B multi delete /p/x create /p/y", lambda: commit(t), nmulti)
    emit("events after multi", events=ev.take(2))
    A("exists /p/eph watch", lambda: wait(a.exists_async("/p/eph", watch=ev.watcher("eph"))), nstat)
    B("B set /p/eph version=5 (BadVersion, no event)", lambda: wait(b.set_async("/p/eph", b"x", version=5)), nstat)
    emit("events after failed set", events=ev.take(0, limit=0.0, settle=0.5))

    # ---------------- explicit close -------------------------------------
    d = connect_step(hp, "connect D")

    def D(step, fn, fmt=lambda r: r):
        return run(step, d, fn, fmt)

    D("D create /p/d-eph", lambda: wait(d.create_async("/p/d-eph", b"", ephemeral=True)))
    D("D create /p/d-ephseq-", lambda: wait(d.create_async("/p/d-ephseq-", b"", ephemeral=True, sequence=True)))
    A("get /p/d-eph", lambda: wait(a.get_async("/p/d-eph")), gs)
    A("getEphemerals / (A sees its own)", lambda: call(a, GetEphemerals("/")), sorted)
    A("exists /p/d-eph watch", lambda: wait(a.exists_async("/p/d-eph", watch=ev.watcher("d-eph"))), nstat)
    A("children /p watch", lambda: wait(a.get_children_async("/p", watch=ev.watcher("pchildren"))), ch)
    run("D close session", None, lambda: d.stop() or True)
    d.close()
    emit("events after D closed", events=ev.take(2))
    A("exists /p/d-eph right after close", lambda: wait(a.exists_async("/p/d-eph")), nstat)
    A("children2 /p after close", lambda: wait(a.get_children_async("/p", include_data=True)), ch)

    # ---------------- raw sessions: negotiation, resume, refusal ----------
    s, info = raw_connect_outcome(hp, 1)
    emit("raw connect timeout=1ms", ok=info)
    if s:
        run("raw close session", s, lambda: s.close_session() or True)
        emit("raw server closes after closeSession", ok=s.wait_eof(5.0))
        s.drop()
    s, info = raw_connect_outcome(hp, 10 ** 9)
    emit("connect R (raw, timeout=1e9ms)", ok=info)
    if s:
        run("R create ephemeral /p/r-eph", s,
            lambda: s.call(Create("/p/r-eph", b"", WORLD_ALL, 1)))
        sid, pw, seen = s.session_id, s.passwd, s.last_zxid
        s.drop()
        A("exists /p/r-eph after R's socket drop", lambda: wait(a.exists_async("/p/r-eph")), nstat)
        s2, info = raw_connect_outcome(hp, 5000, sid, pw, last_zxid=seen)
        emit("R reconnect same session (timeout=5000)", ok=info)
        if s2:
            run("R exists /p/r-eph (resumed)", s2, lambda: nstat(s2.call(ser.Exists("/p/r-eph", False))))
        s3, info = raw_connect_outcome(hp, 5000, sid, b"\x01" * 16)
        emit("R reconnect with wrong password", ok=info)
        if s3:
            emit("server closes the wrong-password connection", ok=s3.wait_eof(5.0))
            s3.drop()
        if s2:
            run("R resumed connection after the wrong-password attempt", s2,
                lambda: nstat(s2.call(ser.Exists("/p/r-eph", False))))
            s2.drop()
        A("exists /p/r-eph (session still alive)", lambda: wait(a.exists_async("/p/r-eph")), nstat)
        s4, info = raw_connect_outcome(hp, 5000, sid, pw)
        emit("R reconnect again", ok=info)
        if s4:
            run("R close session", s4, lambda: s4.close_session() or True)
            emit("server closes after closeSession", ok=s4.wait_eof(5.0))
            s4.drop()
        A("exists /p/r-eph after R closed", lambda: wait(a.exists_async("/p/r-eph")), nstat)
        s5, info = raw_connect_outcome(hp, 5000, sid, pw)
        emit("R reconnect closed session", ok=info)
        if s5:
            emit("server closes after reconnect of closed session", ok=s5.wait_eof(5.0))
            s5.drop()
    s, info = raw_connect_outcome(hp, 5000, last_zxid=a.last_zxid + 1000)
    emit("raw connect with lastZxidSeen ahead of server", ok=info)
    if s:
        s.drop()

    # ---------------- expiry ---------------------------------------------
    s, info = raw_connect_outcome(hp, 2000)
    emit("connect E (raw, timeout=2000)", ok=info)
    if s:
        run("E create /p/exp-eph", s, lambda: s.call(Create("/p/exp-eph", b"", WORLD_ALL, 1)))
        run("E create /p/exp-seq-", s, lambda: s.call(Create("/p/exp-seq-", b"", WORLD_ALL, 3)))
        run("E create2 /ttl/exp-eph", s,
            lambda: nresult(s.call(RawCreate2("/ttl/exp-eph", b"", WORLD_ALL, 1))))
        t0 = time.time()
        pings = 0
        while time.time() - t0 < 3.0:            # > session timeout, kept alive by pings
            time.sleep(0.5)
            s.ping()
            pings += 1
        last_touch = time.time()
        A("exists /p/exp-eph after 3s of pings (watch)",
          lambda: wait(a.exists_async("/p/exp-eph", watch=ev.watcher("exp-eph"))), nstat)
        # now silence: the connection stays open but nothing is sent
        gone = poll(lambda: wait(a.exists_async("/p/exp-eph")) is None
                    and wait(a.exists_async("/ttl/exp-eph")) is None, 15.0, "E's ephemerals to go")
        dt = time.time() - last_touch
        cls = "never" if not gone else ("too-early" if dt < 1.5 else ("in-time" if dt <= 4.5 else "late"))
        emit("E ephemerals gone after expiry", ok={"gone": gone, "when": cls}, zxid=a.last_zxid)
        emit("E connection closed by server after expiry", ok=s.wait_eof(5.0))
        emit("events after E expired", events=ev.take(1))
        s.drop()
        A("children2 /p after expiry", lambda: wait(a.get_children_async("/p", include_data=True)), ch)
        A("children2 /ttl after expiry", lambda: wait(a.get_children_async("/ttl", include_data=True)), ch)
        s2, info = raw_connect_outcome(hp, 2000, s.session_id, s.passwd)
        emit("E reconnect after expiry", ok=info)
        if s2:
            emit("server closes after reconnect of expired session", ok=s2.wait_eof(5.0))
            s2.drop()

    # kazoo session whose socket is killed (kazoo reconnects in time: no expiry)
    f = connect_step(hp, "connect F (kazoo, timeout=4s)", timeout=4.0)
    run("F create /p/f-eph", f, lambda: wait(f.create_async("/p/f-eph", b"", ephemeral=True)))
    try:
        f._connection._socket.shutdown(socket.SHUT_RDWR)
        emit("F socket killed", ok=True)
    except Exception as e:            # noqa: BLE001
        emit("F socket killed", error=err_name(e))
    ok = poll(lambda: f.connected and wait(f.exists_async("/p/f-eph")) is not None, 10.0, "F to reconnect")
    emit("F reconnected with same session, ephemeral kept",
         ok={"reconnected": ok, "session": session_label(f.client_id[0]) if f.client_id else None})
    run("F close session", None, lambda: f.stop() or True)
    f.close()
    A("exists /p/f-eph after F closed", lambda: wait(a.exists_async("/p/f-eph")), nstat)

    # authentication failure: connection closed, session left to expire
    s, info = raw_connect_outcome(hp, 2000)
    emit("connect G (raw, timeout=2000)", ok=info)
    if s:
        run("G create /p/g-eph", s, lambda: s.call(Create("/p/g-eph", b"", WORLD_ALL, 1)))
        run("G auth unknown scheme", s, lambda: s.auth("nosuchscheme", "x") or True)
        emit("G connection closed after auth failure", ok=s.wait_eof(1.0))
        s.drop()
        A("exists /p/g-eph right after auth failure", lambda: wait(a.exists_async("/p/g-eph")), nstat)
        gone = poll(lambda: wait(a.exists_async("/p/g-eph")) is None, 15.0, "G's ephemeral to go")
        emit("G ephemeral gone after expiry", ok={"gone": gone}, zxid=a.last_zxid)

    # ---------------- 4lw after the workload -----------------------------
    fourlw_step("4lw srvr (after)", hp, "srvr", keys=("Zxid", "Mode", "Node count"))
    fourlw_step("4lw mntr (subset)", hp, "mntr",
                keys=("zk_server_state", "zk_znode_count", "zk_ephemerals_count"), sep="\t")

    # ---------------- container / TTL cleanup ----------------------------
    A("createTTL /ttl-kept (1500ms, with a child)",
      lambda: call(a, CreateTTL("/ttl-kept", b"", WORLD_ALL, 5, 1500)), nresult)
    A("create /ttl-kept/c", lambda: wait(a.create_async("/ttl-kept/c", b"")))
    # one atomic multi makes every candidate eligible at once, so the server's
    # cleanup deletions cannot interleave with our own writes
    A("multi: createTTL /ttl-short (1500ms), empty the containers", lambda: call(a, Multi(
        [CreateTTL("/ttl-short", b"", WORLD_ALL, 5, 1500),
         Delete("/ctr/c1", -1), Delete("/ctr/c2", -1), Delete("/ctr/s-", -1)])), nmulti)
    gone = poll(lambda: all(wait(a.exists_async(p)) is None for p in ("/ctr", "/ttl-short")), 10.0,
                "the server to remove /ctr and /ttl-short")
    time.sleep(2.5)               # a few more check intervals
    emit("server removed /ctr and /ttl-short", ok=gone)
    for p in ("/ctr", "/ttl-short"):
        A("exists %s after cleanup" % p, lambda p=p: wait(a.exists_async(p)), nstat)
    A("exists /ctr-unused (never used: kept)", lambda: wait(a.exists_async("/ctr-unused")), nstat)
    A("exists /ttl-kept (has a child: kept)", lambda: wait(a.exists_async("/ttl-kept")), nstat)
    A("exists /mx-ctr (never used: kept)", lambda: wait(a.exists_async("/mx-ctr")), nstat)
    A("children2 / after cleanup", lambda: wait(a.get_children_async("/", include_data=True)), ch)

    # ---------------- final tree dump (as B: digest user:pass) -----------
    def dump(path):
        r = run("tree get %s" % path, None, lambda: wait(b.get_async(path)), gs)
        run("tree getAcl %s" % path, None, lambda: wait(b.get_acls_async(path)), acls)
        kids = run("tree children %s" % path, None, lambda: wait(b.get_children_async(path)), sorted)
        for k in sorted(kids or []):
            dump(path.rstrip("/") + "/" + k)
        return r
    dump("/")
    fourlw_step("4lw srvr (end)", hp, "srvr", keys=("Zxid", "Mode", "Node count"))

    for name, cl in (("C", c), ("B", b), ("A", a)):
        run("%s close session" % name, None, lambda cl=cl: cl.stop() or True)
        cl.close()
    emit("done")


def main():
    ap = argparse.ArgumentParser(description="node_vs_zk's conformance workload against one server")
    ap.add_argument("hostport", help="HOST:PORT of the server")
    ap.add_argument("--out", help="write the JSON lines here (default: stdout)")
    args = ap.parse_args()
    if ":" not in args.hostport:
        ap.error("HOST:PORT expected")
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    set_output(out)
    try:
        workload(args.hostport)
    except Abort:
        return 3
    finally:
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
