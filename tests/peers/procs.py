"""Child processes in their own session, stopped by PID, and a guard that
kills every leftover process group at exit or on SIGINT/SIGTERM.

Never pkill/killall: a Proc only ever signals the process it started and
that process's own group (its session, pgid == pid).  The group is killed
while the leader is still an unreaped zombie, so its pgid cannot have been
reused by an unrelated process.
"""
import atexit
import os
import shutil
import signal
import subprocess
import threading
import time

from .wait import wait_until

_lock = threading.RLock()
_live = set()            # Procs started and not yet reaped
_atexit_installed = False
_signals_installed = False


class ProcessDied(RuntimeError):
    """A process we wait for exited."""


def _setpriv():
    """setpriv (util-linux) if it has --pdeathsig, else None."""
    path = shutil.which("setpriv")
    if path is None:
        return None
    try:
        r = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if "--pdeathsig" in r.stdout else None


_SETPRIV = []     # [path or None] once looked up


class Proc:
    """One child process.  Output (stdout and stderr) is appended to `log`;
    with stdout (a path, e.g. os.devnull), stdout goes there instead
    (truncated) and `log` gets only stderr.

    die_with_parent: the child gets SIGKILL when this Python process dies even
    by SIGKILL (setpriv --pdeathsig).  Linux sends it when the *thread* that
    started the child ends, so by default it is used only for children
    started from the main thread.  A harness SIGKILLed in the instant between
    the fork and setpriv's prctl leaves that one child behind.

    stdout_pipe: stdout goes to a pipe, `.stdout` (binary), for a caller that
    reads the output as it comes (and must keep reading: a full pipe stops
    the child); stderr still goes to `log`.
    """

    def __init__(self, argv, name, log, env=None, cwd=None, die_with_parent=None, stdout=None,
                 stdout_pipe=False, stdin=None):
        """stdin: a file to read as standard input (default /dev/null)."""
        self.argv = [str(a) for a in argv]
        self.name = name
        self.log = str(log)
        self.stdout_path = None if stdout is None else str(stdout)
        self.env = env
        self.cwd = cwd
        self.die_with_parent = die_with_parent
        self.stdout_pipe = stdout_pipe
        self.stdin = stdin
        self.popen = None
        self.returncode = None
        self._plock = threading.RLock()

    # -- starting ---------------------------------------------------------
    def start(self):
        if self.running:
            raise RuntimeError("%s is already running (pid %d)" % (self.name, self.pid))
        install_guard()
        argv = self.argv
        if not _SETPRIV:
            _SETPRIV.append(_setpriv())
        pdeath = self.die_with_parent
        if pdeath is None:      # decided by the thread that starts it
            pdeath = threading.current_thread() is threading.main_thread()
        if pdeath and _SETPRIV[0]:
            argv = [_SETPRIV[0], "--pdeathsig", "KILL", "--"] + argv
        with open(self.log, "ab") as log, open(self.stdin or os.devnull, "rb") as stdin:
            log.write(("### %s start %s: %s\n" % (_utc(), self.name, " ".join(self.argv))).encode())
            log.flush()
            out = open(self.stdout_path, "wb") if self.stdout_path is not None else None
            try:
                with _lock:
                    self.popen = subprocess.Popen(argv, stdin=stdin,
                                                  stdout=subprocess.PIPE if self.stdout_pipe else (out or log),
                                                  stderr=log if (out or self.stdout_pipe) else subprocess.STDOUT,
                                                  env=self.env, cwd=self.cwd, start_new_session=True)
                    self.returncode = None
                    _live.add(self)
            finally:
                if out is not None:
                    out.close()
        return self

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    @property
    def stdout(self):
        """The read end of stdout (with stdout_pipe), else None."""
        return self.popen.stdout if self.popen else None

    # -- state ------------------------------------------------------------
    def _exited(self):
        """True when the child has exited (without reaping it)."""
        with self._plock:
            if self.popen is None or self.returncode is not None:
                return True
            try:
                r = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return True
            return r is not None

    @property
    def running(self):
        return self.popen is not None and not self._exited()

    def check_alive(self):
        """Raises ProcessDied (with the log's tail) when the child has exited."""
        if self.running:
            return True
        rc = self._reap()
        raise ProcessDied("%s (pid %s) exited with status %s; log %s:\n%s"
                          % (self.name, self.pid, rc, self.log, self.log_tail(20)))

    def _reap(self):
        """Kills what is left of the group, then reaps the leader; returns its status."""
        with self._plock:
            if self.popen is None:
                return None
            if self.returncode is None:
                _killpg(self.popen.pid)
                self.returncode = self.popen.wait()
                with _lock:
                    _live.discard(self)
            return self.returncode

    # -- stopping ---------------------------------------------------------
    def stop(self, timeout=15.0):
        """SIGTERM to the PID; SIGKILL when it has not exited after `timeout`
        seconds; then the group's leftovers are killed and the child reaped.
        Returns the exit status (negative: killed by that signal)."""
        with self._plock:
            if self.popen is None or self.returncode is not None:
                return self.returncode
            if not self._exited():
                _signal(self.popen.pid, signal.SIGTERM)
                try:
                    wait_until(self._exited, timeout, "%s (pid %d) to exit after SIGTERM" % (self.name, self.pid),
                               interval=0.05)
                except TimeoutError:
                    self._note("did not exit %.0f s after SIGTERM: SIGKILL" % timeout)
                    _signal(self.popen.pid, signal.SIGKILL)
            rc = self._reap()
            self._note("stopped, exit status %s" % rc)
            return rc

    def kill(self):
        """SIGKILL to the whole group (a crash), then reaps; returns the status."""
        with self._plock:
            if self.popen is None or self.returncode is not None:
                return self.returncode
            _killpg(self.popen.pid)
            rc = self._reap()
            self._note("killed (SIGKILL), exit status %s" % rc)
            return rc

    def wait(self, timeout, reap=True, interval=0.05):
        """Waits for the child to exit by itself; returns its status.  With
        reap=False it is left a zombie (its /proc/<pid>/stat still holds its
        CPU totals) and None is returned; a later wait() or stop() reaps it.
        interval: seconds between polls (how late an exit may be noticed)."""
        wait_until(self._exited, timeout, "%s (pid %s) to exit" % (self.name, self.pid), interval=interval)
        return self._reap() if reap else None

    # -- the log ----------------------------------------------------------
    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def log_text(self, since=0):
        """The log from byte offset `since` (e.g. a log_size() taken earlier)."""
        try:
            with open(self.log, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=30):
        return "\n".join(self.log_text(max(0, self.log_size() - 65536)).splitlines()[-n:])

    def _note(self, text):
        try:
            with open(self.log, "ab") as log:
                log.write(("### %s %s (pid %s) %s\n" % (_utc(), self.name, self.pid, text)).encode())
        except OSError:
            pass

    def __repr__(self):
        return "<Proc %s pid=%s %s>" % (self.name, self.pid, "running" if self.running else "stopped")


def run_command(argv, name, log, timeout, **proc_args):
    """Runs a one-shot command (a client, a tool) as a Proc and waits for it:
    returns (exit status, what it wrote to stdout and stderr).  After
    `timeout` seconds its group is killed and TimeoutError raised.  The
    output is also appended to `log`; proc_args: env, cwd, stdin, ..."""
    p = Proc(argv, name, log, **proc_args)
    since = p.log_size()
    p.start()
    try:
        rc = p.wait(timeout)
    except TimeoutError:
        p.kill()
        raise TimeoutError("%s did not finish within %.0f s (killed); log %s:\n%s"
                           % (name, timeout, log, p.log_tail(20)))
    text = p.log_text(since)
    return rc, text.split("\n", 1)[1] if "\n" in text else ""     # without the "### start" line


def _utc():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _killpg(pgid, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def live():
    """The Procs started and not yet reaped."""
    with _lock:
        return list(_live)


def kill_all():
    """SIGKILL to every group still alive that this process started, then reap."""
    for p in live():
        try:
            p.kill()
        except Exception:   # the guard must get through all of them
            pass


def _on_signal(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kill_all()
    raise SystemExit(128 + signum)


def install_guard():
    """atexit + SIGINT/SIGTERM handlers that kill_all(); called by Proc.start.
    Signal handlers are installed only from the main thread and only where
    the program has not set its own."""
    global _atexit_installed, _signals_installed
    with _lock:
        if not _atexit_installed:
            _atexit_installed = True
            atexit.register(kill_all)
        if _signals_installed or threading.current_thread() is not threading.main_thread():
            return
        _signals_installed = True
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, _on_signal)
