"""What every set of servers does the same way (ZooKeeper and zabra-node
ensembles, etcd clusters): stop, kill or restart one member, close them all,
list the running ones.  A subclass has `sids`, gives each member's process
(anything with stop(timeout), kill() and running) by `_process(sid)`, and a
`start(sid, wait)`."""


class Members:
    stop_timeout = None     # None: the member's own default

    def _process(self, sid):
        raise NotImplementedError

    def _stop_links(self):
        """After close: stop what connects the members (proxies)."""

    def stop(self, sid, timeout=None):
        """SIGTERM, SIGKILL after the deadline; returns the exit status."""
        return self._process(sid).stop(timeout or self.stop_timeout)

    def kill(self, sid):
        """SIGKILL (a crash); returns the exit status."""
        return self._process(sid).kill()

    def restart(self, sid, wait=True):
        self.stop(sid)
        return self.start(sid, wait)

    def close(self):
        """Stops every member (SIGTERM, then SIGKILL), then the links."""
        for s in self.sids:
            if self._process(s).running:
                self.stop(s)
        self._stop_links()

    def running(self):
        return [s for s in self.sids if self._process(s).running]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
