"""The interface ZooKeeperEnsemble and ZabraEnsemble share."""
from .members import Members
from .wait import wait_until

SERVING = ("leader", "follower", "observer")


class Ensemble(Members):
    def __init__(self, n, workdir):
        if n < 1:
            raise ValueError("an ensemble needs at least one server")
        self.n = n
        self.workdir = workdir
        self.sids = list(range(1, n + 1))
        self.servers = {}           # sid -> Server, filled by the subclass

    def _process(self, sid):
        return self.servers[sid]

    # -- hooks for proxies -----------------------------------------------------
    def _start_links(self):
        pass

    # -- addresses -------------------------------------------------------------
    def hostport(self, sid):
        return self.servers[sid].hostport

    def hosts(self, sids=None):
        """"h:p,h:p,..." of the given (default: all) servers, for a client."""
        return ",".join(self.hostport(s) for s in (sids or self.sids))

    # -- life ------------------------------------------------------------------
    def start(self, sid=None, wait=True, timeout=90.0):
        """Starts one server (sid) or all of them; with wait, returns once the
        started server serves (one) or a quorum of all is up (all: the
        leader's sid)."""
        self._start_links()
        if sid is not None:
            self.servers[sid].start(wait=False)
            if wait:
                self.servers[sid].wait_ready(timeout)
            return sid
        for s in self.sids:
            if not self.servers[s].running:
                self.servers[s].start(wait=False)
        return self.wait_for_quorum(timeout=timeout) if wait else None

    # -- roles -----------------------------------------------------------------
    def modes(self, sids=None):
        """{sid: "leader" | "follower" | "observer" | "standalone" | None}"""
        return {s: self.servers[s].mode() for s in (sids or self.sids)}

    def _leader_of(self, modes):
        if len(modes) == 1 and list(modes.values()) == ["standalone"]:
            return list(modes)[0]
        leaders = [s for s, m in modes.items() if m == "leader"]
        if len(leaders) == 1 and all(m in SERVING for m in modes.values()):
            return leaders[0]
        return None

    def wait_for_quorum(self, sids=None, timeout=90.0):
        """Until the given servers (default: the running ones) have exactly one
        leader and every other one follows; returns the leader's sid.  Fails
        at once when one of them dies."""
        sids = list(sids or self.running())
        if not sids:
            raise RuntimeError("no server is running")
        last = {}

        def check():
            for s in sids:
                self.servers[s].proc.check_alive()
            last.clear()
            last.update(self.modes(sids))
            return self._leader_of(last)
        try:
            return wait_until(check, timeout, "a quorum of servers %s" % sids)
        except TimeoutError as e:
            raise TimeoutError("%s; their modes: %s" % (e, last)) from None

    def wait_caught_up(self, sids=None, timeout=30.0):
        """Until the given servers (default: the running ones) all report the
        same last zxid in srvr, i.e. every follower has applied what the
        leader committed; returns that zxid.  A test that calls an ensemble
        "idle" right after writing waits for this first."""
        sids = list(sids or self.running())
        last = {}

        def check():
            last.clear()
            last.update({s: self.servers[s].zxid() for s in sids})
            values = set(last.values())
            return values.pop() if len(values) == 1 and None not in values else None
        try:
            return wait_until(check, timeout, "servers %s at one zxid" % sids)
        except TimeoutError as e:
            raise TimeoutError("%s; their zxids: %s" % (e, {s: None if z is None else hex(z)
                                                           for s, z in last.items()})) from None

    def leader(self, timeout=90.0):
        """The leader's sid, once the running servers have a quorum."""
        return self.wait_for_quorum(timeout=timeout)

    def followers(self, timeout=90.0):
        lead = self.leader(timeout)
        return [s for s in self.running() if s != lead]
