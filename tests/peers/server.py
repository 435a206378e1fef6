"""What a ZooKeeper-protocol server (ZooKeeper, zabra-node) has in common:
a zoo.cfg, its own dirs and port on 127.0.0.1, a Proc, readiness by srvr."""
import os

from . import fourlw
from .ports import HOST, accepts, free_port
from .procs import Proc
from .wait import wait_until
from .workdir import WorkDir


class Server:
    KIND = "server"

    def __init__(self, name=None, workdir=None, client_port=None, data_dir=None, data_log_dir=None,
                 tick_time=1000, snap_count=None, prealloc_kb=None, four_letter="*", extra=None,
                 log_file=None, myid=None, wrapper=None, start_timeout=90.0, stop_timeout=15.0,
                 ready_log_line=None):
        """extra: more zoo.cfg keys (insertion order kept; a None value removes
        a key).  data_dir: reuse an existing data dir (default <dir>/data).
        myid: written to dataDir/myid at each start (ensemble members).
        wrapper: an argv prefix (e.g. ["strace", "-f", "-o", path]); the PID
        stopped is then the wrapper's.
        ready_log_line: wait_ready first waits for this text in what the run
        logged (ZooKeeper accepts connections before its database is loaded,
        and a four-letter word then makes it log a NullPointerException:
        "Snapshot loaded in" avoids that in a check that reads its log)."""
        self.name = name or self.KIND
        self.workdir = workdir if workdir is not None else WorkDir(self.name)
        self.dir = os.path.join(str(self.workdir), self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = client_port or free_port()
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.data_log_dir = data_log_dir
        self.tick_time = tick_time
        self.snap_count = snap_count
        self.prealloc_kb = prealloc_kb
        self.four_letter_whitelist = four_letter
        self.extra = dict(extra or {})
        self.myid = myid
        self.wrapper = list(wrapper or [])
        self.cfg_path = os.path.join(self.dir, "zoo.cfg")
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.ready_log_line = ready_log_line
        self._log_mark = 0
        self.proc = Proc([], self.name, log_file or os.path.join(self.dir, "server.log"))
        self._written = None

    # -- configuration ---------------------------------------------------------
    def config(self):
        """The zoo.cfg keys, in order."""
        c = {"tickTime": self.tick_time, "dataDir": self.data_dir}
        if self.data_log_dir:
            c["dataLogDir"] = self.data_log_dir
        c.update({"clientPort": self.port, "clientPortAddress": HOST, "maxClientCnxns": 0})
        if self.snap_count is not None:
            c["snapCount"] = self.snap_count
        if self.prealloc_kb is not None:
            c["preAllocSize"] = self.prealloc_kb
        if self.four_letter_whitelist:
            c["4lw.commands.whitelist"] = self.four_letter_whitelist
        c["admin.enableServer"] = "false"
        for k, v in self.extra.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def write_config(self, force=False):
        """Writes zoo.cfg (and myid) when the settings differ from what was last
        written here, or with force.  A file the server rewrote itself (ZooKeeper
        with reconfigEnabled moves server.N lines out) is left alone otherwise."""
        os.makedirs(self.data_dir, exist_ok=True)
        if self.data_log_dir:
            os.makedirs(self.data_log_dir, exist_ok=True)
        if self.myid is not None:
            with open(os.path.join(self.data_dir, "myid"), "w") as f:
                f.write("%d\n" % self.myid)
        text = "".join("%s=%s\n" % kv for kv in self.config().items())
        if force or text != self._written:
            with open(self.cfg_path, "w") as f:
                f.write(text)
            self._written = text

    def argv(self):
        raise NotImplementedError

    # -- life ------------------------------------------------------------------
    def start(self, wait=True, timeout=None):
        """Writes zoo.cfg and starts the server; with wait, returns once it serves."""
        self.write_config()
        self.proc.argv = [str(a) for a in self.wrapper + self.argv()]
        self._log_mark = self.proc.log_size()
        self.proc.start()
        if wait:
            self.wait_ready(timeout)
        return self

    def _srvr_allowed(self):
        words = {w.strip() for w in str(self.four_letter_whitelist or "srvr").split(",")}
        return "*" in words or "srvr" in words

    def wait_ready(self, timeout=None):
        """Until srvr reports a Mode (or, without srvr in the whitelist, the port
        accepts); fails at once if the process dies.  Returns the mode."""
        def ready():
            self.proc.check_alive()
            if self.ready_log_line and self.ready_log_line not in self.proc.log_text(self._log_mark):
                return None
            if self._srvr_allowed():
                return fourlw.mode(self.hostport)
            return accepts(self.port) and "up"
        return wait_until(ready, timeout or self.start_timeout,
                          "%s to serve on %s (log %s)" % (self.name, self.hostport, self.proc.log))

    def stop(self, timeout=None):
        """SIGTERM, SIGKILL after the deadline; returns the exit status."""
        return self.proc.stop(timeout or self.stop_timeout)

    def kill(self):
        """SIGKILL (a crash); returns the exit status."""
        return self.proc.kill()

    def restart(self, wait=True):
        self.stop()
        return self.start(wait)

    # -- state -----------------------------------------------------------------
    @property
    def hostport(self):
        return "%s:%d" % (HOST, self.port)

    @property
    def running(self):
        return self.proc.running

    @property
    def pid(self):
        return self.proc.pid

    @property
    def log(self):
        return self.proc.log

    def mode(self):
        return fourlw.mode(self.hostport)

    def srvr(self):
        return fourlw.srvr(self.hostport)

    def zxid(self):
        """The last zxid srvr reports, or None when the server does not answer."""
        return fourlw.zxid(self.hostport)

    def four_letter(self, cmd):
        return fourlw.four_letter(self.hostport, cmd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.running:
            self.stop()

    def __repr__(self):
        return "<%s %s %s pid=%s>" % (type(self).__name__, self.name, self.hostport, self.pid)
