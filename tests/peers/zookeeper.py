"""Debian's Apache ZooKeeper 3.8: one standalone server, or an ensemble.

The jar's manifest Class-Path pulls in its dependencies (netty, jetty,
slf4j-api, ...); slf4j-simple is added as the logger, so the server log is
what slf4j-simple writes to stderr (level, per-logger levels settable).
"""
import os

from .ensemble import Ensemble
from .ports import HOST, free_port
from .proxy import Proxy
from .server import Server
from .skip import SLF4J_NOP, SLF4J_SIMPLE, ZK_JAR
from .workdir import WorkDir

STANDALONE_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
QUORUM_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

# zoo.cfg keys ZooKeeper does not read from zoo.cfg itself.  Unknown keys
# become "zookeeper.<key>" system properties while the config is parsed, too
# late or under the wrong name for these; they are also passed with -D.
SYSPROP_KEYS = {"extendedTypesEnabled": "zookeeper.extendedTypesEnabled",
                "zookeeper.extendedTypesEnabled": "zookeeper.extendedTypesEnabled",
                "znode.container.checkIntervalMs": "znode.container.checkIntervalMs"}


def classpath():
    cp = [ZK_JAR]
    if os.access(SLF4J_SIMPLE, os.R_OK):
        cp.append(SLF4J_SIMPLE)
    return ":".join(cp)


def tool_argv(main_class, *args, heap="256m", jvm_opts=()):
    """The java command line of one of ZooKeeper's own programs on Debian's
    jar: the CLI (org.apache.zookeeper.ZooKeeperMain), TxnLogToolkit,
    SnapshotFormatter, ...  UTC, en-US, UTF-8; slf4j-nop as the logger when
    it is installed (without a binding SLF4J only prints warnings).  Run it
    with procs.run_command."""
    if not os.access(ZK_JAR, os.R_OK):
        raise FileNotFoundError("%s missing (apt-get install zookeeper)" % ZK_JAR)
    cp = ZK_JAR + (":" + SLF4J_NOP if os.access(SLF4J_NOP, os.R_OK) else "")
    return ([os.environ.get("JAVA", "java"), "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:-UsePerfData",
             "-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US", "-Dfile.encoding=UTF-8"]
            + list(jvm_opts) + ["-cp", cp, main_class] + [str(a) for a in args])


class ZooKeeperServer(Server):
    """One ZooKeeper server.  Besides Server's options:
    jvm_props: {name: value} -D options; loggers: {logger: level} for
    slf4j-simple (e.g. {"org.apache.zookeeper.server.quorum.LearnerHandler":
    "debug"}); log_level: the default level; heap: -Xmx; jvm_opts: more JVM
    arguments; main_class: ZooKeeperServerMain (standalone) by default."""
    KIND = "zk"

    def __init__(self, *args, jvm_props=None, loggers=None, log_level="info", heap="256m", jvm_opts=None,
                 main_class=STANDALONE_MAIN, java=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.jvm_props = dict(jvm_props or {})
        self.loggers = dict(loggers or {})
        self.log_level = log_level
        self.heap = heap
        self.jvm_opts = list(jvm_opts or [])
        self.main_class = main_class
        self.java = java or os.environ.get("JAVA", "java")

    def argv(self):
        if not os.access(ZK_JAR, os.R_OK):
            raise FileNotFoundError("%s missing (apt-get install zookeeper)" % ZK_JAR)
        props = {"user.timezone": "UTC", "user.language": "en", "user.country": "US", "file.encoding": "UTF-8",
                 "zookeeper.admin.enableServer": "false", "zookeeper.jmx.log4j.disable": "true",
                 "org.slf4j.simpleLogger.defaultLogLevel": self.log_level,
                 "org.slf4j.simpleLogger.showDateTime": "true",
                 "org.slf4j.simpleLogger.dateTimeFormat": "yyyy-MM-dd HH:mm:ss,SSS"}
        for logger, level in self.loggers.items():
            props["org.slf4j.simpleLogger.log." + logger] = level
        for key, value in self.config().items():
            if key in SYSPROP_KEYS:
                props[SYSPROP_KEYS[key]] = value
        props.update(self.jvm_props)
        return ([self.java, "-Xms32m", "-Xmx" + self.heap, "-XX:+UseSerialGC", "-XX:-UsePerfData"]
                + ["-D%s=%s" % kv for kv in props.items()] + self.jvm_opts
                + ["-cp", classpath(), self.main_class, self.cfg_path])


class ZooKeeperEnsemble(Ensemble):
    """n ZooKeeper servers (sids 1..n) on 127.0.0.1, QuorumPeerMain,
    standaloneEnabled=false, reconfigEnabled=false, tickTime 500 ms.

    proxies=True: every server reaches every other one's quorum and election
    port through its own Proxy, one per ordered pair and kind
    (link(src, dst, "quorum")), so partitions are made with proxies:
    isolate(sid) / heal().  server_opts: more ZooKeeperServer keyword
    arguments for every server (snap_count, jvm_props, loggers, extra, ...).
    zabra_sids: the members that are zabra-node instead (a mixed ensemble;
    they get the same zoo.cfg, and snap_count/prealloc_kb/four_letter)."""

    def __init__(self, n=3, workdir=None, name="zk", proxies=False, tick_time=500, init_limit=10, sync_limit=5,
                 zabra_sids=(), **server_opts):
        super().__init__(n, workdir if workdir is not None else WorkDir(name))
        self.quorum_port = {s: free_port() for s in self.sids}
        self.election_port = {s: free_port() for s in self.sids}
        self._links = {}
        if proxies:
            for s in self.sids:
                for d in self.sids:
                    if s == d:
                        continue
                    # a learner connecting while the leader is not listening yet
                    # retries; held by the proxy, it must not see an accepted
                    # connection closed at once (it would give up on the leader)
                    self._links[(s, d, "quorum")] = Proxy(self.quorum_port[d], name="q%d->%d" % (s, d),
                                                          connect_retry=4.0)
                    self._links[(s, d, "election")] = Proxy(self.election_port[d], name="e%d->%d" % (s, d))
            for (s, d, kind), link in self._links.items():
                if kind == "election":
                    # d connects back to s through its own proxy for s
                    link.election_address = "%s:%d" % (HOST, self._links[(d, s, "election")].listen_port)
        extra_user = server_opts.pop("extra", None) or {}
        for s in self.sids:
            extra = {"initLimit": init_limit, "syncLimit": sync_limit, "autopurge.purgeInterval": 0,
                     "reconfigEnabled": "false", "standaloneEnabled": "false"}
            for d in self.sids:
                if d == s or not proxies:
                    extra["server.%d" % d] = "%s:%d:%d" % (HOST, self.quorum_port[d], self.election_port[d])
                else:
                    extra["server.%d" % d] = "%s:%d:%d" % (HOST, self._links[(s, d, "quorum")].listen_port,
                                                           self._links[(s, d, "election")].listen_port)
            extra.update(extra_user)
            if s in zabra_sids:
                from .zabra_node import ZabraNode
                node_opts = {k: v for k, v in server_opts.items() if k in ("snap_count", "prealloc_kb", "four_letter")}
                self.servers[s] = ZabraNode(name="%s%d" % (name, s), workdir=self.workdir, myid=s,
                                            tick_time=tick_time, extra=extra, **node_opts)
                continue
            self.servers[s] = ZooKeeperServer(name="%s%d" % (name, s), workdir=self.workdir, myid=s,
                                              tick_time=tick_time, main_class=QUORUM_MAIN, extra=extra,
                                              **server_opts)

    # -- proxies ---------------------------------------------------------------
    def _start_links(self):
        for p in self._links.values():
            p.start()

    def link(self, src, dst, kind="quorum"):
        """The Proxy that carries src's connections to dst's quorum/election
        port (up = src -> dst bytes).  Needs proxies=True."""
        if not self._links:
            raise RuntimeError("this ensemble was made without proxies (proxies=True)")
        return self._links[(src, dst, kind)]

    def links_of(self, sid):
        return [p for (s, d, _), p in self._links.items() if sid in (s, d)]

    def isolate(self, sid, how="cut"):
        """Partitions sid from all others: every link to or from it is cut
        (connections reset, new ones refused) or, with how="drop", left open
        but silent."""
        if not self._links:
            raise RuntimeError("this ensemble was made without proxies (proxies=True)")
        for p in self.links_of(sid):
            getattr(p, how)()

    def heal(self):
        """Every link back to plain forwarding."""
        for p in self._links.values():
            p.restore()

    def _stop_links(self):
        for p in self._links.values():
            p.stop()
