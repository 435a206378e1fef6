"""Captures Apache ZooKeeper 3.8's four-letter-word replies into
tests/fixtures/zk/4lw/ (raw bytes, one file per word), for the
node/monitor.cpp formatter tests (tests/test_node_monitor.cpp).

Real servers (Debian's /usr/share/java/zookeeper.jar) run one after the
other on 127.0.0.1, each in its own temp dir, on free ports:

  <word>.txt                    standalone, 4lw.commands.whitelist=*, while a
                                kazoo client holds a session with znodes,
                                an ephemeral, data watches and a child watch
  default-whitelist/<word>.txt  standalone with no whitelist setting
                                (ZooKeeper's default: only srvr)
  not-serving/<word>.txt        one member of a two-server ensemble whose
                                peer never starts: it stays LOOKING
  read-only/<word>.txt          the same with readonlymode.enabled=true, once
                                it has turned into a read-only server
  state.txt                     key=value: what the first server held when
                                the words were sent (znode count, sessions,
                                watches, dir sizes, ports, paths)

Every server is stopped by its PID.  Environment: ZK_4LW_DEST (the default
--out), JAVA.  Note: tests/peers/makers/zk_fixtures.py replaces
tests/fixtures/zk/ as a whole but carries 4lw/ over.
"""
import logging
import os
import time

from .. import WorkDir, ZooKeeperServer, connected, four_letter_raw, free_ports, run, wait_until
from ..skip import SLF4J_SIMPLE, missing
from ..zookeeper import QUORUM_MAIN
from . import common

log = logging.getLogger("makers")
WORDS = ("ruok", "srvr", "stat", "mntr", "conf", "cons", "dirs", "wchs", "isro")


def word(server, w):
    """The raw reply (we half-close after the word, then read to EOF)."""
    return four_letter_raw(server.hostport, w, timeout=10, half_close=True)


def capture(server, out):
    os.makedirs(out, exist_ok=True)
    for w in WORDS:
        with open(os.path.join(out, w + ".txt"), "wb") as f:
            f.write(word(server, w))


def answers(server, pattern=b""):
    """Until srvr's reply contains pattern (any reply for b""); fails at
    once when the server dies.  A standalone server opens its port, and
    answers "not currently serving", a moment before it serves."""
    def ok():
        server.proc.check_alive()
        reply = word(server, "srvr")
        return reply and pattern in reply
    wait_until(ok, 60, "%s to answer srvr with %r" % (server.name, pattern), interval=0.2)


def dir_bytes(path):
    """Total size of the files under path (what ZooKeeper's dirs counts)."""
    return common.tree_size(path)[0]


def standalone(work, out):
    """Every word whitelisted, while a client holds a session with state."""
    srv = ZooKeeperServer(name="all", workdir=work, tick_time=2000, four_letter="*", extra={"maxClientCnxns": None})
    srv.start(wait=False)
    answers(srv, b"Mode: standalone")
    log.info("standalone server up on %d (pid %d)", srv.port, srv.pid)
    with connected(srv, timeout=15, session_timeout=30.0) as zk:
        zk.create("/zabra", b"monitor fixture")
        for i in range(3):
            zk.create("/zabra/child-%d" % i, b"x" * (10 * i))
        zk.create("/zabra/ephemeral", b"held", ephemeral=True)
        zk.get("/zabra", watch=lambda e: None)              # data watch
        zk.exists("/zabra/child-0", watch=lambda e: None)   # data watch
        zk.get_children("/zabra", watch=lambda e: None)     # child watch
        zk.set("/zabra/child-1", b"updated")
        session, timeout = zk.client_id[0], zk._session_timeout
        time.sleep(0.5)   # let the last response's stats settle (no reply to wait for)
        capture(srv, out)
        mntr = dict(line.split("\t", 1) for line in
                    open(os.path.join(out, "mntr.txt"), encoding="utf-8").read().splitlines() if "\t" in line)
        v2 = os.path.join(srv.data_dir, "version-2")
        java = common.tool([os.environ.get("JAVA", "java"), "-version"], timeout=60)
        lines = ["# what the standalone server held when <word>.txt were captured",
                 "# (scripts/make-4lw-fixtures); key=value, paths are that run's temp dir",
                 "zookeeper_package=%s" % (common.dpkg_version("zookeeper") or "unknown"),
                 "java=%s" % (java.stderr or java.stdout).decode().splitlines()[0],
                 "version=%s" % mntr.get("zk_version", ""),
                 "client_port=%d" % srv.port,
                 "data_dir=%s" % v2,
                 "datadir_size=%d" % dir_bytes(v2),
                 "logdir_size=%d" % dir_bytes(v2)]
        lines += ["%s=%s" % (k, mntr.get("zk_" + k, "")) for k in (
            "znode_count", "watch_count", "ephemerals_count", "approximate_data_size", "global_sessions",
            "num_alive_connections", "outstanding_requests")]
        lines += ["client_session=0x%x" % session, "client_timeout=%d" % timeout,
                  "client_paths=/zabra /zabra/child-0 /zabra/child-1 /zabra/child-2 /zabra/ephemeral",
                  "client_watches=data:/zabra data:/zabra/child-0 child:/zabra",
                  "data_watches=2", "data_watched_paths=2", "child_watches=1", "watching_connections=1"]
        with open(os.path.join(out, "state.txt"), "w") as f:
            f.write("".join(line + "\n" for line in lines))
    srv.stop()
    log.info("captured %s/*.txt", out)


def default_whitelist(work, out):
    srv = ZooKeeperServer(name="default", workdir=work, tick_time=2000, four_letter=None,
                          extra={"maxClientCnxns": None})
    srv.start(wait=False)
    answers(srv, b"Mode: standalone")
    capture(srv, out)
    srv.stop()
    log.info("captured %s/*.txt", out)


def lonely_peer(work, name, **jvm_props):
    """Server 1 of 2 whose peer never starts: it can never form a quorum."""
    q1, e1, q2, e2 = free_ports(4)
    return ZooKeeperServer(name=name, workdir=work, tick_time=2000, four_letter="*", myid=1,
                           main_class=QUORUM_MAIN, jvm_props=jvm_props,
                           extra={"maxClientCnxns": None, "initLimit": 10, "syncLimit": 5,
                                  "server.1": "127.0.0.1:%d:%d" % (q1, e1), "server.2": "127.0.0.1:%d:%d" % (q2, e2)})


def not_serving(work, out):
    srv = lonely_peer(work, "looking")
    srv.start(wait=False)
    answers(srv)
    capture(srv, out)
    srv.stop()
    log.info("captured %s/*.txt", out)


def read_only(work, out):
    srv = lonely_peer(work, "readonly", **{"readonlymode.enabled": "true"})
    srv.start(wait=False)
    answers(srv)
    wait_until(lambda: srv.proc.check_alive() and word(srv, "isro") == b"ro", 60,
               "the read-only server to answer isro with ro", interval=0.2)
    capture(srv, out)
    srv.stop()
    log.info("captured %s/*.txt", out)


def check(out):
    """The captures are what they were meant to be."""
    def text(rel):
        with open(os.path.join(out, rel), encoding="utf-8", errors="replace") as f:
            return f.read()
    checks = [("ruok.txt", lambda t: t == "imok"),
              ("srvr.txt", lambda t: "Mode: standalone" in t.splitlines()),
              ("default-whitelist/srvr.txt", lambda t: "Mode: standalone" in t.splitlines()),
              ("mntr.txt", lambda t: any(l.startswith("zk_znode_count") for l in t.splitlines())),
              ("cons.txt", lambda t: "sid=0x" in t),
              ("default-whitelist/stat.txt", lambda t: "not in the whitelist" in t),
              ("not-serving/srvr.txt", lambda t: "not currently serving" in t),
              ("read-only/srvr.txt", lambda t: any(l.startswith("READ-ONLY mode") for l in t.splitlines()))]
    for rel, ok in checks:
        if not ok(text(rel)):
            raise AssertionError("%s is not what it should be:\n%s" % (rel, text(rel)[:500]))


def main():
    ap = common.parser("make-4lw-fixtures", __doc__, "tests/fixtures/zk/4lw", "ZK_4LW_DEST")
    args = ap.parse_args()
    common.setup_logging()
    why = missing("zookeeper") or missing("kazoo") or (
        None if os.access(SLF4J_SIMPLE, os.R_OK) else "%s missing (apt-get install libslf4j-java)" % SLF4J_SIMPLE)
    if why:
        raise SystemExit("make-4lw-fixtures: error: " + why)
    work = WorkDir("4lw", keep=args.keep)
    out = work.sub("out")
    standalone(work, out)
    default_whitelist(work, os.path.join(out, "default-whitelist"))
    not_serving(work, os.path.join(out, "not-serving"))
    read_only(work, os.path.join(out, "read-only"))
    check(out)
    common.install(out, args.out)


if __name__ == "__main__":
    run(main)
