"""Regenerates tests/fixtures/zk/ from Debian's real ZooKeeper 3.8 server.

For each set, real ZooKeeper servers run on 127.0.0.1 (free ports, a temp
dir), kazoo drives them (zk_workload.py), they are stopped by PID, and the
output of ZooKeeper's own tools (TxnLogToolkit, SnapshotFormatter) for every
log and snapshot is recorded in <set>/expected/.

Sets:
  standalone  every txn type; snapCount=40, preAllocSize=64; restarts with
              gz and snappy snapshot compression
  legacy      digest.enabled=false, closeSessionTxn.enabled=false
  check13     the log ends with a top-level check txn (opcode 13); not replayable
  ensemble    3-node ensemble over several epochs, follower resync, reconfig

Everything is generated into a temp dir; on success --out is replaced as a
whole (its 4lw/, tests/peers/makers/fourlw_fixtures.py's, is carried over).
Environment: ZK_FIXTURES_DEST (the default --out), JAVA (default java).
"""
import logging
import os
import re
import shutil
import struct

from kazoo.security import make_digest_acl_credential

from .. import WorkDir, ZooKeeperEnsemble, ZooKeeperServer, fourlw, run
from ..skip import SLF4J_SIMPLE, missing
from ..zookeeper import QUORUM_MAIN, classpath
from . import common, zk_workload as wl

log = logging.getLogger("makers")
GENERATOR = "scripts/make-zk-fixtures"
JLOCALE = {"sun.stdout.encoding": "UTF-8", "sun.stderr.encoding": "UTF-8"}
TOOL_JOPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Duser.timezone=UTC", "-Duser.language=en",
              "-Duser.country=US", "-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8",
              "-Dsun.stderr.encoding=UTF-8", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"]
LOAD_PROBLEM = re.compile(r"Unable to load database|Unexpected exception, exiting|Unsupported Txn|CRC check failed")
LOG_KEEP = re.compile(r"^(###|[0-9]{4}-[0-9]{2}-[0-9]{2} |[A-Za-z_$][A-Za-z0-9_.$]*(Exception|Error)\b)")
LOG_DROP = re.compile(r"ZooKeeperServer - +([ _|/\\]|$)|Server environment:(host|java\.(vendor|home|class\.path|"
                      r"library\.path|io\.tmpdir|compiler)|os\.|user\.)|FourLetterCommands|"
                      r"Processing (srvr|ruok) command")


class Runs:
    """Each start of a server, as an offset into its (appended) log, so every
    run can be checked and trimmed on its own."""

    def __init__(self):
        self.starts = {}          # server -> [log offsets]

    def start(self, server, **jvm_props):
        server.jvm_props.update(jvm_props)
        self.starts.setdefault(server, []).append(server.proc.log_size())
        server.start(wait=False)

    def texts(self, server):
        with open(server.proc.log, "rb") as f:
            data = f.read()
        offs = self.starts.get(server, []) + [len(data)]
        return [data[a:b].decode("utf-8", "replace") for a, b in zip(offs, offs[1:])]


def check_loaded(text, what):
    """The server loaded its database (and did not die) in this run."""
    loaded = [l for l in text.splitlines() if "Snapshot loaded in" in l]
    if not loaded:
        raise AssertionError("no 'Snapshot loaded' in %s" % what)
    bad = [l for l in text.splitlines() if LOAD_PROBLEM.search(l)]
    if bad:
        raise AssertionError("load problem in %s:\n%s" % (what, "\n".join(bad)))
    return loaded


class Maker:
    def __init__(self, work):
        self.work = work
        self.out = work.sub("out")
        self.runs = Runs()

    def sanitize(self, text):
        return text.replace(self.out + "/", "<fixtures>/").replace(self.work.path + "/", "<tmp>/")

    def trim_log(self, server):
        """Each run's log for expected/server.log: without stack frames, the
        banner, most environment lines and 4lw chatter; long lines cut, the
        middle of long runs elided."""
        out = []
        for text in self.runs.texts(server):
            lines = [self.sanitize(l)[:240] for l in text.split("\n")
                     if LOG_KEEP.search(l) and not LOG_DROP.search(l)]
            if len(lines) > 150 + 80:
                lines = lines[:150] + ["### ... %d lines omitted ..." % (len(lines) - 230)] + lines[-80:]
            out += lines
        return "".join(l + "\n" for l in out)

    def copy_cfg(self, src, dst):
        with open(src) as f, open(dst, "w") as g:
            g.write(self.sanitize(f.read()))

    def record_tools(self, data, exp):
        """TxnLogToolkit / SnapshotFormatter of every file, run on bare file
        names (no temp paths in the outputs)."""
        os.makedirs(exp, exist_ok=True)
        v2 = os.path.join(data, "version-2")
        java = os.environ.get("JAVA", "java")

        def tool(outbase, ext, cls, *args):
            r = common.tool([java] + TOOL_JOPTS + ["-cp", classpath(), cls] + list(args), cwd=v2)
            with open(outbase + "." + ext, "wb") as f:
                f.write(r.stdout)
            with open(outbase + ".rc", "w") as f:
                f.write("%d\n" % r.returncode)
            if r.stderr:
                with open(outbase + ".stderr", "wb") as f:
                    f.write(r.stderr)
        names = sorted(os.listdir(v2), key=lambda n: n.encode())
        for f in (n for n in names if n.startswith("log.")):
            tool(os.path.join(exp, f + ".txnlogtoolkit"), "txt",
                 "org.apache.zookeeper.server.persistence.TxnLogToolkit", "-d", f)
        for f in (n for n in names if n.startswith("snapshot.")):
            base = os.path.join(exp, f + ".snapshotformatter")
            tool(base, "txt", "org.apache.zookeeper.server.SnapshotFormatter", "-d", f)
            tool(base + ".json", "json", "org.apache.zookeeper.server.SnapshotFormatter", "-json", f)
            # the .json run writes <f>.snapshotformatter.json.json: rename to .json
            os.replace(base + ".json.json", base + ".json")

    def standalone_server(self, name, set_dir, **jvm_props):
        # QuorumPeerMain, as ZooKeeper's own zkServer.sh: with no server.N it
        # runs standalone (after its DatadirCleanupManager, off here)
        return ZooKeeperServer(name=name, workdir=self.work, data_dir=os.path.join(set_dir, "data"),
                               main_class=QUORUM_MAIN, tick_time=500, snap_count=40, prealloc_kb=64,
                               four_letter="srvr,ruok",
                               extra={"autopurge.purgeInterval": 0}, jvm_props=dict(JLOCALE, **jvm_props))

    def run_once(self, server, workload, *args, **jvm_props):
        """Start, wait until it serves, check the load, run the workload, stop."""
        self.runs.start(server, **jvm_props)
        server.wait_ready()
        check_loaded(self.runs.texts(server)[-1], server.name)
        workload(server.hostport, *args)
        server.stop()

    # -- the sets ---------------------------------------------------------------
    def standalone(self):
        log.info("standalone: start (snapCount=40, preAllocSize=64, extendedTypes, container check 1s)")
        sa = os.path.join(self.out, "standalone")
        srv = self.standalone_server("standalone", sa, **{"zookeeper.extendedTypesEnabled": "true",
                                                          "znode.container.checkIntervalMs": "1000"})
        log.info("standalone: phase 1 workload")
        self.run_once(srv, wl.standalone1, 45, self.work)
        for method in ("gz", "snappy"):
            log.info("standalone: restart with snapshot.compression.method=%s", method)
            self.run_once(srv, wl.standalone2, method, 4, **{"zookeeper.snapshot.compression.method": method})
        snaps = os.listdir(os.path.join(sa, "data", "version-2"))
        for ext in ("gz", "snappy"):
            if not any(n.startswith("snapshot.") and n.endswith("." + ext) for n in snaps):
                raise AssertionError("no .%s snapshot written" % ext)
        return srv

    def legacy(self):
        log.info("legacy: start (digest.enabled=false, closeSessionTxn.enabled=false)")
        srv = self.standalone_server("legacy", os.path.join(self.out, "legacy"),
                                     **{"zookeeper.digest.enabled": "false",
                                        "zookeeper.closeSessionTxn.enabled": "false"})
        self.run_once(srv, wl.legacy, 12, self.work)
        return srv

    def check13(self):
        log.info("check13: start")
        srv = self.standalone_server("check13", os.path.join(self.out, "check13"))

        def workload(hosts):
            child = wl.child_proc(self.work, "check13", hosts)
            child.start()
            if child.wait(60) != 0:
                raise AssertionError("check13 client failed:\n%s" % child.log_tail())
            log.info("  %s", child.log_text().rstrip().splitlines()[-1])
        # stopped at once: the client left without closing its 10 s session,
        # so no closeSession follows the check
        self.run_once(srv, workload)
        return srv

    # -- READMEs, checks ----------------------------------------------------------
    def readmes(self, reconfig_ok):
        zk_v = common.dpkg_version("zookeeper")
        kazoo_v = common.dpkg_version("python3-kazoo")
        r = common.tool([os.environ.get("JAVA", "java"), "-version"], timeout=60)
        java_v = (r.stderr or r.stdout).decode("utf-8", "replace").splitlines()[0]
        head = ("Produced by %s with Debian zookeeper %s (ZooKeeper 3.8.0), driven by python3-kazoo %s.\n"
                % (GENERATOR, zk_v, kazoo_v))
        jv = ("Java: %s; tools run with TZ=UTC -Duser.timezone=UTC -Duser.language=en -Duser.country=US\n"
              % java_v)
        texts = {"standalone": (
            "Standalone server: tickTime=500 snapCount=40 preAllocSize=64 (logs are 16+65536 bytes), "
            "-Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000.\n"
            "Run 1 (default snapshots): every txn type (createSession, create, create2, createContainer, createTTL, "
            "delete, deleteContainer, setData, setACL, multi ok/failed, error, closeSession explicit and by "
            "expiry).\n"
            "Run 2 restarted with -Dzookeeper.snapshot.compression.method=gz (startup snapshot *.gz), run 3 with "
            "=snappy (*.snappy).\n"
            "<log>.txnlogtoolkit.txt/.rc: stdout/exit code of TxnLogToolkit -d <log>; "
            "<snap>.snapshotformatter.txt/.json (+ .rc, .json.rc): SnapshotFormatter -d / -json.\n"
            "*.stderr files exist only where a tool wrote to stderr. server.log: the server's slf4j-simple log "
            "(trimmed). zoo.cfg: the config (paths replaced).\n"),
            "legacy": (
            "Standalone server: tickTime=500 snapCount=40 preAllocSize=64, -Dzookeeper.digest.enabled=false "
            "-Dzookeeper.closeSessionTxn.enabled=false:\n"
            "log records carry no TxnDigest, closeSession has an empty body, snapshots have no ZxidDigest section "
            "(only seal #1).\n"
            "Tool outputs as in ../standalone/expected/README (tools run with default settings, i.e. "
            "digest/closeSessionTxn enabled on the reading side).\n"),
            "check13": (
            "Standalone server (tickTime=500 snapCount=40 preAllocSize=64). The last record of the log is a "
            "top-level check txn (opcode 13)\n"
            "sent as a plain CheckVersionRequest (ZOOKEEPER-2623, logged by <=3.8.4); the one before it is the "
            "error txn of a failed check (BADVERSION).\n"
            "The server was stopped right after it and never restarted: ZooKeeper itself cannot replay this log "
            "(Unsupported Txn with type=%d13).\n")}
        note = ("two no-op reconfigs (incremental joining=server.3 unchanged, then non-incremental with the same 3 "
                "members) as super user (superDigest)" if reconfig_ok
                else "reconfig was attempted but FAILED in this run (see server logs)")
        texts["ensemble"] = (
            "3-node ensemble on 127.0.0.1 (tickTime=500 initLimit=10 syncLimit=5 snapCount=40 preAllocSize=64 "
            "reconfigEnabled=true standaloneEnabled=false).\n"
            "Leaders were killed (SIGTERM by PID) several times so the logs span several epochs (zxid >> 32); "
            "killed servers were restarted and one\n"
            "follower was stopped during writes and restarted (resync from the leader); %s.\n"
            "Restarted servers run with -Dzookeeper.forceSnapshotSync=true, so learners synced by such a leader "
            "got SNAP, the others DIFF (see server.log).\n"
            "../serverN/data is server N's dataDir after all servers stopped (myid, "
            "version-2/{log.*,snapshot.*,currentEpoch,acceptedEpoch}).\n"
            "serverN/: tool outputs as in ../../standalone/expected/README, server.log (all runs, trimmed), "
            "zoo.cfg.orig/zoo.cfg.final/zoo.cfg.dynamic.* (paths replaced).\n" % note)
        for name, text in texts.items():
            with open(os.path.join(self.out, name, "expected", "README"), "w") as f:
                f.write(head + text + jv)

    def check_outputs(self, reconfig_ok):
        log.info("checking tool outputs")

        def ops_in(*dirs):
            ops = {}
            for d in dirs:
                for n in sorted(os.listdir(d)):
                    if n.endswith(".txnlogtoolkit.txt"):
                        with open(os.path.join(d, n), "rb") as f:
                            for m in re.finditer(rb" zxid (0x[0-9a-f]+) ([A-Za-z0-9]+)", f.read()):
                                ops.setdefault(m.group(2).decode(), []).append(int(m.group(1), 16))
            return ops

        def oneline(ops):
            return " ".join("%s=%d" % (k, len(v)) for k, v in sorted(ops.items(), key=lambda kv: -len(kv[1])))
        exp = {s: os.path.join(self.out, s, "expected") for s in ("standalone", "legacy", "check13")}
        ens_dirs = [os.path.join(self.out, "ensemble", "expected", "server%d" % i) for i in (1, 2, 3)]
        sa_ops, en_ops = ops_in(exp["standalone"]), ops_in(*ens_dirs)
        for s in ("standalone", "legacy", "check13"):
            log.info("  %-11s %s", s + ":", oneline(ops_in(exp[s])))
        log.info("  ensemble:   %s", oneline(en_ops))
        for op in ("createSession closeSession create create2 createContainer createTtl delete deleteContainer "
                   "setData setACL multi error").split():
            if op not in sa_ops:
                raise AssertionError("standalone: op %s missing from the logs" % op)
        ck = exp["check13"]
        if not any(b"Unsupported Txn with type=%d13" in open(os.path.join(ck, n), "rb").read()
                   for n in os.listdir(ck) if ".txnlogtoolkit." in n):
            raise AssertionError("check13: TxnLogToolkit did not hit opcode 13")
        types = log_record_types(os.path.join(self.out, "check13", "data", "version-2", "log.1"))
        log.info("  check13 record types: %s", types)
        if not types or types[-1] != 13:
            raise AssertionError("check13: the check txn is not the last record")
        for s in ("standalone", "legacy"):
            text = b"".join(open(os.path.join(exp[s], n), "rb").read()
                            for n in os.listdir(exp[s]) if n.endswith(".txnlogtoolkit.txt"))
            if not re.search(rb"cxid 0x0 zxid 0x[0-9a-f]+ closeSession", text):
                raise AssertionError("%s: no closeSession by session expiry (cxid 0)" % s)
        if reconfig_ok and "reconfig" not in en_ops:
            raise AssertionError("ensemble: reconfig txn missing")
        epochs = sorted({z >> 32 for zs in en_ops.values() for z in zs})
        log.info("  ensemble epochs in logs: %s", epochs)
        if len(epochs) < 3:
            raise AssertionError("ensemble: fewer than 3 epochs in the logs")


def log_record_types(path):
    """The txn types of a log, walking the record framing (crc, len, payload,
    0x42) itself: TxnLogToolkit stops at a check txn."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"ZKLG":
        raise AssertionError("%s is not a txn log" % path)
    off, types = 16, []
    while off + 12 <= len(b):
        _, n = struct.unpack_from(">qi", b, off)
        if n <= 0:
            break
        types.append(struct.unpack_from(">i", b, off + 12 + 28)[0])
        if b[off + 12 + n] != 0x42:
            raise AssertionError("%s: no end-of-record byte at %d" % (path, off + 12 + n))
        off += 12 + n + 1
    return types


class EnsembleRun:
    """The ensemble set: three servers over several epochs."""

    def __init__(self, maker):
        self.m = maker
        self.dir = os.path.join(maker.out, "ensemble")
        digest = make_digest_acl_credential("super", "superpw")
        self.ens = ZooKeeperEnsemble(3, workdir=maker.work.sub("ensemble"), name="server", snap_count=40, prealloc_kb=64,
                                     four_letter="srvr,ruok",
                                     jvm_props=dict(JLOCALE, **{
                                         "zookeeper.DigestAuthenticationProvider.superDigest": digest}))
        for s, srv in self.ens.servers.items():
            srv.data_dir = os.path.join(self.dir, "server%d" % s, "data")
            # no static client port: every server line carries its client address
            srv.extra.update({"clientPort": None, "clientPortAddress": None, "autopurge.purgeInterval": 0,
                              "reconfigEnabled": "true"})
            srv.extra.update({"server.%d" % d: self.server_line(d).split("=", 1)[1] for d in self.ens.sids})
        self.hosts = self.ens.hosts()

    def server_line(self, sid):
        e = self.ens
        return "server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (
            sid, e.quorum_port[sid], e.election_port[sid], e.servers[sid].port)

    def start(self, sid):
        srv = self.ens.servers[sid]
        first = srv not in self.m.runs.starts
        if first:
            srv.write_config()
            shutil.copyfile(srv.cfg_path, srv.cfg_path + ".orig")
        # Restarted servers get zookeeper.forceSnapshotSync=true: when one of
        # them leads, it syncs its learners with SNAP instead of DIFF (a mix of
        # both; commitLogCount cannot go below 500, so a SNAP is not reachable
        # otherwise)
        self.m.runs.start(srv, **({} if first else {"zookeeper.forceSnapshotSync": "true"}))

    def quorum(self):
        lead = self.ens.wait_for_quorum(timeout=90)
        log.info("  leader = server.%d, zxid 0x%x (running: %s)", lead,
                 fourlw.zxid(self.ens.hostport(lead)) or 0, " ".join(map(str, self.ens.running())))
        return lead

    def writes(self, tag, count, **kw):
        wl.ensemble(self.hosts, tag, count, self.m.work, **kw)

    def leader_away(self, lead, tag, count, **kw):
        """Stops the leader (a new epoch), writes while it is away, restarts
        it; returns the leader after that."""
        log.info("ensemble: kill leader server.%d", lead)
        self.ens.stop(lead)
        self.quorum()
        self.writes(tag, count, **kw)
        log.info("ensemble: restart server.%d", lead)
        self.start(lead)
        return self.quorum()

    def run(self):
        log.info("ensemble: start 3 servers (tickTime=500, snapCount=40, preAllocSize=64, reconfigEnabled)")
        for s in self.ens.sids:
            self.start(s)
        lead = self.quorum()
        log.info("ensemble: epoch 1 writes (incl. expired session)")
        self.writes("a", 3, extras=True, expire=True)
        lead = self.leader_away(lead, "b", 3)
        self.writes("b2", 1)
        lead = self.leader_away(lead, "c", 2, extras=True)
        f = lead % 3 + 1
        log.info("ensemble: stop follower server.%d for a while", f)
        self.ens.stop(f)
        self.quorum()
        self.writes("c-while-%d-down" % f, 8)
        log.info("ensemble: bring server.%d back (it resyncs from the leader)", f)
        self.start(f)
        self.quorum()
        log.info("ensemble: reconfig (opcode 16) as super user")
        reconfig_ok = True
        try:
            wl.reconfig(self.hosts, "super:superpw", joining=self.server_line(3),
                        members=",".join(self.server_line(s) for s in self.ens.sids))
        except Exception as e:          # the set is still useful without it: said in the README
            reconfig_ok = False
            log.warning("warning: reconfig failed (%s: %s); continuing without it", type(e).__name__, e)
        lead = self.quorum()
        self.writes("d", 2)
        lead = self.leader_away(lead, "e", 2, expire=True)
        self.writes("f", 1)
        log.info("ensemble: stop all (followers first, then leader server.%d)", lead)
        for s in self.ens.sids:
            if s != lead:
                self.ens.stop(s)
        self.ens.stop(lead)
        for s, srv in self.ens.servers.items():
            for i, text in enumerate(self.m.runs.texts(srv)):
                check_loaded(text, "server.%d run %d" % (s, i + 1))
        return reconfig_ok

    def record(self):
        for s, srv in self.ens.servers.items():
            exp = os.path.join(self.dir, "expected", "server%d" % s)
            self.m.record_tools(srv.data_dir, exp)
            with open(os.path.join(exp, "server.log"), "w") as f:
                f.write(self.m.trim_log(srv))
            self.m.copy_cfg(srv.cfg_path + ".orig", os.path.join(exp, "zoo.cfg.orig"))
            self.m.copy_cfg(srv.cfg_path, os.path.join(exp, "zoo.cfg.final"))
            for n in sorted(os.listdir(srv.dir)):
                if n.startswith("zoo.cfg.dynamic."):
                    self.m.copy_cfg(os.path.join(srv.dir, n), os.path.join(exp, n))


def main():
    ap = common.parser("make-zk-fixtures", __doc__, "tests/fixtures/zk", "ZK_FIXTURES_DEST")
    args = ap.parse_args()
    common.setup_logging()
    common.ensure_packages(["zookeeper", "python3-kazoo", "default-jre-headless"])
    why = missing("zookeeper") or missing("kazoo") or (
        None if os.access(SLF4J_SIMPLE, os.R_OK) else "%s missing (apt-get install libslf4j-java)" % SLF4J_SIMPLE)
    if why:
        raise SystemExit("make-zk-fixtures: error: " + why)
    work = WorkDir("zkfix", keep=args.keep)
    m = Maker(work)
    servers = [m.standalone(), m.legacy(), m.check13()]
    ens = EnsembleRun(m)
    reconfig_ok = ens.run()

    log.info("recording TxnLogToolkit / SnapshotFormatter outputs")
    for srv in servers:
        exp = os.path.join(os.path.dirname(srv.data_dir), "expected")
        m.record_tools(srv.data_dir, exp)
        with open(os.path.join(exp, "server.log"), "w") as f:
            f.write(m.trim_log(srv))
        m.copy_cfg(srv.cfg_path, os.path.join(exp, "zoo.cfg"))
    ens.record()
    m.readmes(reconfig_ok)
    m.check_outputs(reconfig_ok)
    common.write_manifest(m.out, GENERATOR, "files are byte-exact ZooKeeper output")
    common.install(m.out, args.out, keep=["4lw"])


if __name__ == "__main__":
    run(main)
