"""Self-test of the peers harness: python3 -m tests.peers.selftest (repo root,
Debian's /usr/bin/python3).  Bounded: every wait has a deadline (about 20 s
on a 2-core machine).  Checks whose peer is missing are skipped; exit 0 when none
failed, 1 otherwise (the work dir is then kept).  zabra-node: $ZABRA_NODE or
<repo>/build/node/zabra-node."""
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid

from tests.peers import (EtcdCluster, Proc, ProcessDied, Proxy, WorkDir, ZabraEnsemble, ZabraNode,
                         ZooKeeperEnsemble, ZooKeeperServer, connected, free_port, free_ports, missing, port_is_free,
                         run, run_command, wait_until)
from tests.peers.skip import REPO

CHECKS = []


def check(name, needs=()):
    def reg(fn):
        CHECKS.append((name, fn, needs))
        return fn
    return reg


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


PY = sys.executable


# ---------------------------------------------------------------------------
@check("ports")
def t_ports(work):
    ps = free_ports(50)
    expect(len(set(ps)) == 50, "free_ports(50) gave duplicates: %s" % ps)
    expect(all(port_is_free(p) for p in ps), "a port handed out is in use")
    return "50 distinct free ports, all bindable"


@check("wait_until")
def t_wait(work):
    calls = []
    v = wait_until(lambda: calls.append(1) or (len(calls) >= 3 and "yes"), 5, "three calls", interval=0.01)
    expect(v == "yes" and len(calls) == 3, "wait_until returned %r after %d calls" % (v, len(calls)))
    try:
        wait_until(lambda: False, 0.3, "the moon to turn blue")
        raise AssertionError("no TimeoutError")
    except TimeoutError as e:
        msg = str(e)
    expect("the moon to turn blue" in msg and "0.3" in msg, "unclear message: %s" % msg)

    def refused():
        raise ConnectionRefusedError(111, "Connection refused")
    try:
        wait_until(refused, 0.2, "a refusing port")
        raise AssertionError("no TimeoutError")
    except TimeoutError as e:
        expect("ConnectionRefusedError" in str(e), "last error not quoted: %s" % e)
    t0 = time.monotonic()
    try:
        wait_until(lambda: 1 / 0, 30, "a division")
        raise AssertionError("no ZeroDivisionError")
    except ZeroDivisionError:
        expect(time.monotonic() - t0 < 10, "a non-ignored error did not end the wait at once")
    return "message: %s" % msg


def _said(proc, word):
    """The child printed a line starting with `word` (the log's "### start"
    header quotes the argv, which may contain the word too)."""
    return any(line.startswith(word) for line in proc.log_text().splitlines())


def _marker_pids(marker, but=None, execed=False):
    """PIDs (other than `but`) whose argv has `marker` as one whole argument;
    with execed, only those past setpriv (the parent-death signal is set)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if execed and os.path.basename(args[0]) == b"setpriv":
            continue
        if marker.encode() in args and int(d) != but:
            out.append(int(d))
    return out


@check("process stop")
def t_stop(work):
    stubborn = Proc([PY, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                               "print('ready', flush=True); time.sleep(300)"],
                    "stubborn", work.file("stubborn.log")).start()
    wait_until(lambda: _said(stubborn, "ready"), 20, "the stubborn child to be ready")
    rc = stubborn.stop(timeout=1.0)
    expect(rc == -signal.SIGKILL, "a child ignoring SIGTERM: status %s, expected -9" % rc)

    marker = "peers-grandchild-" + uuid.uuid4().hex
    parent = Proc([PY, "-c", "import subprocess, sys, time; "
                             "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', sys.argv[1]]); "
                             "print('ready', flush=True); time.sleep(300)", marker],
                  "parent", work.file("parent.log")).start()
    wait_until(lambda: _said(parent, "ready") and _marker_pids(marker, but=parent.pid), 20, "the grandchild to start")
    rc = parent.stop(timeout=10)
    expect(rc == -signal.SIGTERM, "parent's status %s, expected -15" % rc)
    wait_until(lambda: not _marker_pids(marker), 10, "the grandchild (same group) to be gone")

    quitter = Proc([PY, "-c", "import sys; print('bye'); sys.exit(3)"], "quitter", work.file("quitter.log")).start()
    try:
        wait_until(lambda: not quitter.check_alive(), 20, "the quitter to exit")
        raise AssertionError("check_alive did not raise")
    except ProcessDied as e:
        expect("status 3" in str(e) and "bye" in str(e), "ProcessDied message: %s" % e)
    return "SIGTERM-ignoring child SIGKILLed (-9); grandchild killed with its group; ProcessDied quotes the log"


@check("process stdout pipe")
def t_stdout_pipe(work):
    p = Proc([PY, "-c", "import sys; print('one', flush=True); print('err', file=sys.stderr, flush=True); "
                        "print('two')"], "piped", work.file("piped.log"), stdout_pipe=True).start()
    lines = [raw.decode().rstrip("\n") for raw in p.stdout]
    rc = p.wait(20)
    p.stdout.close()
    expect(lines == ["one", "two"] and rc == 0, "read %s from the pipe, status %s" % (lines, rc))
    expect(_said(p, "err") and not _said(p, "one"), "the log is not stderr alone: %r" % p.log_text())
    return "stdout read line by line from .stdout, stderr in the log"


@check("run_command")
def t_run_command(work):
    feed = work.file("stdin.txt")
    with open(feed, "w") as f:
        f.write("first\nsecond\n")
    rc, out = run_command([PY, "-c", "import sys; print(sys.stdin.read().upper(), end=''); sys.exit(4)"],
                          "upper", work.file("upper.log"), 30, stdin=feed)
    expect(rc == 4 and out == "FIRST\nSECOND\n", "status %s, output %r" % (rc, out))
    marker = "peers-sleeper-" + uuid.uuid4().hex
    try:
        run_command([PY, "-c", "import time; print('zzz', flush=True); time.sleep(300)", marker],
                    "sleeper", work.file("sleeper.log"), 1.0)
        raise AssertionError("no TimeoutError")
    except TimeoutError as e:
        expect("sleeper" in str(e) and "zzz" in str(e), "TimeoutError message: %s" % e)
    expect(not _marker_pids(marker), "the command that ran out of time is still there")
    return "stdin fed, status and output returned; a command past its deadline killed (TimeoutError)"


GUARD_SCRIPT = r"""
import os, sys, time
sys.path.insert(0, sys.argv[1])
from tests.peers.procs import Proc
how, marker, log = sys.argv[2], sys.argv[3], sys.argv[4]
p = Proc([sys.executable, "-c", "import time; time.sleep(300)", marker], "leftover", log).start()
print("started", p.pid, flush=True)
if how == "exit":
    sys.exit(0)
time.sleep(300)
"""


@check("process guard")
def t_guard(work):
    notes = []
    for how in ("exit", "SIGTERM", "SIGINT", "SIGKILL"):
        marker = "peers-leftover-" + uuid.uuid4().hex
        child_log = work.file("guard-%s-child.log" % how)
        h = Proc([PY, "-c", GUARD_SCRIPT, REPO, how, marker, child_log],
                 "harness-" + how, work.file("guard-%s.log" % how)).start()
        wait_until(lambda: _said(h, "started"), 20, "the harness (%s) to start its child" % how)
        if how != "exit":
            wait_until(lambda: _marker_pids(marker, but=h.pid, execed=True), 20, "the harness's child to run")
            os.kill(h.pid, getattr(signal, how))
        rc = h.wait(20)
        wait_until(lambda: not _marker_pids(marker), 10, "the leftover child to be gone after the harness's %s" % how)
        with open(child_log) as f:
            killed_by_guard = "killed (SIGKILL)" in f.read()
        expect(killed_by_guard or how == "SIGKILL", "the guard did not note killing the child (%s)" % how)
        notes.append("%s(%s, %s)" % (how, rc, "guard" if killed_by_guard else "pdeathsig"))
    return "leftover child gone after the harness's " + ", ".join(notes)


# ---------------------------------------------------------------------------
@check("ZooKeeperServer", needs=("zookeeper", "kazoo"))
def t_zk(work):
    zk = ZooKeeperServer(name="zk-standalone", workdir=work, snap_count=40, prealloc_kb=64,
                         extra={"extendedTypesEnabled": "true"})
    zk.start()
    expect(zk.mode() == "standalone", "mode %r" % zk.mode())
    with connected(zk) as c:
        c.create("/selftest", b"hello")
        expect(c.get("/selftest")[0] == b"hello", "get after create")
    zxid = zk.srvr().get("Zxid")
    rc1 = zk.stop()
    zk.start()
    with connected(zk) as c:
        expect(c.get("/selftest")[0] == b"hello", "data lost over a restart")
    rc2 = zk.stop()
    return "Mode standalone, create/get, data kept over a restart (zxid %s), stop statuses %s %s" % (zxid, rc1, rc2)


@check("ZooKeeperEnsemble(3)", needs=("zookeeper", "kazoo"))
def t_ensemble(work):
    ens = ZooKeeperEnsemble(3, workdir=work, name="ens", proxies=True)
    try:
        lead = ens.start()
        with connected(ens) as c:
            c.create("/ens", b"v1")
        ens.kill(lead)
        new = ens.wait_for_quorum()
        expect(new != lead, "the killed leader %d still leads" % lead)
        with connected(ens.hosts(ens.running())) as c:
            c.set("/ens", b"v2")
        ens.start(lead)
        again = ens.wait_for_quorum()
        modes = ens.modes()
        expect(again == new and modes[lead] == "follower", "after the restart: leader %s, modes %s" % (again, modes))
        with connected(ens.hostport(lead)) as c:
            c.sync("/ens")
            expect(c.get("/ens")[0] == b"v2", "the restarted server misses the write")
        f = [s for s in ens.sids if s != again][0]
        ens.isolate(f)
        wait_until(lambda: ens.servers[f].mode() is None, 30, "isolated follower %d to stop serving" % f)
        others = ens.wait_for_quorum([s for s in ens.sids if s != f])
        ens.heal()
        healed = ens.wait_for_quorum()
        ens.isolate(f, how="drop")      # silence instead of resets: found out by syncLimit
        wait_until(lambda: ens.servers[f].mode() is None, 30, "silenced follower %d to stop serving" % f)
        ens.heal()
        healed2 = ens.wait_for_quorum()
        with connected(ens.hostport(f)) as c:
            c.sync("/ens")
            expect(c.get("/ens")[0] == b"v2", "the healed follower misses the write")
        return ("leader %d killed, %d elected; %d back as follower; follower %d isolated by proxies (cut, then "
                "drop) stopped serving while %d kept the quorum; healed, leader %d, %d"
                % (lead, new, lead, f, others, healed, healed2))
    finally:
        ens.close()


@check("ZabraNode", needs=("kazoo", "zabra-node"))
def t_node(work):
    node = ZabraNode(name="node", workdir=work, snap_count=40, prealloc_kb=64)
    node.start()
    expect(node.mode() == "standalone", "mode %r" % node.mode())
    with connected(node) as c:
        c.create("/selftest", b"hello")
        expect(c.get("/selftest")[0] == b"hello", "get after create")
    rc = node.stop()
    expect(rc == 0, "zabra-node exited with %s after SIGTERM (0 expected)" % rc)
    # ready_log_line: only what this run logged counts (the log is appended to across restarts)
    node.ready_log_line = "serving on"
    node.start()
    node.stop()
    node.ready_log_line, node.start_timeout = "a line zabra-node never writes", 2.0
    try:
        node.start()
        raise AssertionError("start() did not wait for the ready_log_line")
    except TimeoutError:
        node.stop()
    ens = ZabraEnsemble(3, workdir=work, name="zens")
    ens.start()
    leader = ens.leader()
    modes = ens.modes()
    expect(sorted(modes.values()) == ["follower", "follower", "leader"], "ZabraEnsemble(3) modes %s" % modes)
    with connected(ens.servers[[s for s in ens.sids if s != leader][0]]) as c:
        c.create("/through-a-follower", b"x")
    with connected(ens.servers[leader]) as c:
        expect(c.exists("/through-a-follower") is not None, "a write through a follower, read on the leader")
    for s in ens.sids:
        ens.servers[s].stop()
    return "%s: Mode standalone, create/get, clean stop (0), ready_log_line; ZabraEnsemble(3): %s" % (
        node.binary, modes)


# ---------------------------------------------------------------------------
class Echo:
    """An echo server on a free port, counting what it received."""

    def __init__(self):
        self.port = free_port()
        self.received = 0
        self.ls = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with c:
            while True:
                try:
                    d = c.recv(65536)
                except OSError:
                    return
                if not d:
                    return
                self.received += len(d)
                try:
                    c.sendall(d)
                except OSError:
                    return

    def close(self):
        self.ls.close()


def _recv(s, timeout):
    """bytes, b"" at EOF, "reset", or None when nothing came within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(65536)
    except socket.timeout:
        return None
    except ConnectionResetError:
        return "reset"


def _conn(p):
    return socket.create_connection(("127.0.0.1", p.listen_port), timeout=10)


@check("Proxy")
def t_proxy(work):
    echo = Echo()
    p = Proxy(echo.port).start()

    def restore_after_drop(s, again):
        """TCP cannot deliver a stream with a hole: the connection that lost
        bytes is reset when the drop ends; a new one echoes `again`."""
        p.restore()
        r = _recv(s, 10)
        expect(r in (b"", "reset"), "a connection that lost bytes survived restore: %r" % r)
        s.close()
        s = _conn(p)
        s.sendall(again)
        expect(_recv(s, 10) == again, "no echo after restoring from drop")
        return s

    try:
        s = _conn(p)
        s.sendall(b"ping")
        expect(_recv(s, 10) == b"ping", "no echo through the proxy")

        p.up.delay(1.0)
        s.sendall(b"late")
        expect(_recv(s, 0.3) is None, "delayed bytes arrived early")
        expect(_recv(s, 10) == b"late", "delayed bytes never arrived")
        p.restore()

        p.up.drop()
        s.sendall(b"lost")
        wait_until(lambda: p.up.dropped == 4, 10, "the proxy to drop 4 bytes going up")
        expect(_recv(s, 0.5) is None, "dropped bytes were answered")
        s = restore_after_drop(s, b"back")

        before = echo.received
        p.down.drop()
        s.sendall(b"one-way")
        wait_until(lambda: echo.received == before + 7, 10, "the echo server to get bytes while down drops")
        wait_until(lambda: p.down.dropped == 7, 10, "the proxy to drop the 7-byte reply going down")
        expect(_recv(s, 0.5) is None, "the reply passed a dropping down direction")
        s = restore_after_drop(s, b"ok")

        p.cut()
        r = _recv(s, 10)
        expect(r in (b"", "reset"), "an open connection survived cut: %r" % r)
        s.close()
        try:        # the reset can come before connect() returns
            s2 = _conn(p)
            r = _recv(s2, 10)
            s2.close()
        except ConnectionResetError:
            r = "reset"
        expect(r in (b"", "reset"), "a new connection was served while cut: %r" % r)
        expect(p.refused >= 1, "refused %d" % p.refused)
        p.restore()
        s3 = _conn(p)
        s3.sendall(b"again")
        expect(_recv(s3, 10) == b"again", "no echo after restore")

        p.down.cut()          # one direction cut: the link is down
        r = _recv(s3, 10)
        expect(r in (b"", "reset"), "down.cut() left the connection open: %r" % r)
        s3.close()
        p.down.restore()
        s4 = _conn(p)
        s4.sendall(b"x")
        expect(_recv(s4, 10) == b"x", "no echo after down.restore()")
        s4.close()
        stats = "up %d B fwd / %d dropped, down %d B fwd / %d dropped, %d accepted, %d refused" % (
            p.up.forwarded, p.up.dropped, p.down.forwarded, p.down.dropped, p.accepted, p.refused)
    finally:
        p.stop()
        echo.close()
    try:
        socket.create_connection(("127.0.0.1", p.listen_port), timeout=5).close()
        raise AssertionError("the proxy still listens after stop()")
    except ConnectionRefusedError:
        pass
    return "pass, delay, drop (each way), cut (both, one way), restore, stop; " + stats


# ---------------------------------------------------------------------------
@check("EtcdCluster(3)", needs=("etcd",))
def t_etcd(work):
    c = EtcdCluster(3, workdir=work, snapshot_count=100)
    try:
        lead = c.start()
        c.put(lead, "/selftest", "v1")
        f = [s for s in c.sids if s != lead][0]
        expect(c.get(f, "/selftest") == b"v1", "a follower does not see the put")
        c.kill(lead)
        new = c.wait_for_leader()
        expect(new != lead, "the killed leader %d still leads" % lead)
        c.put(new, "/selftest", "v2")
        c.start(lead)
        again = c.wait_for_leader()
        wait_until(lambda: c.get(lead, "/selftest") == b"v2", 30, "the restarted member to serve v2")
        return "leader e%d killed, e%d elected, e%d back (leader e%d), put/get through the gateway" % (
            lead, new, lead, again)
    finally:
        c.close()


# ---------------------------------------------------------------------------
def main():
    only = sys.argv[1:]
    work = WorkDir("peers-selftest")
    t0 = time.monotonic()
    results = []
    for name, fn, needs in CHECKS:
        if only and not any(o.lower() in name.lower() for o in only):
            continue
        why = next((missing(n) for n in needs if missing(n)), None)
        t = time.monotonic()
        if why:
            results.append(("SKIP", name, why, 0.0))
        else:
            try:
                results.append(("PASS", name, fn(work), time.monotonic() - t))
            except Exception as e:
                traceback.print_exc()
                results.append(("FAIL", name, "%s: %s" % (type(e).__name__, e), time.monotonic() - t))
        status, _, text, secs = results[-1]
        print("%-4s %-22s %5.1fs  %s" % (status, name, secs, text), flush=True)
    counts = {k: sum(1 for r in results if r[0] == k) for k in ("PASS", "FAIL", "SKIP")}
    print("selftest: %d passed, %d failed, %d skipped in %.1f s (work dir %s)" % (
        counts["PASS"], counts["FAIL"], counts["SKIP"], time.monotonic() - t0, work.path), flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    run(main)
