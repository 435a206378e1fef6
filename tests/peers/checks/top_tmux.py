"""`zabra top`'s interactive dashboard, driven in tmux against zabra-node.

One zabra-node (4lw.commands.whitelist=*) serves; a second free port is left closed.  `zabra top
NODE,CLOSED --interval 0.5` runs in a bash inside a tmux session (160x40, TERM=xterm-256color, a
tmux server of its own: a Proc running `tmux -D` on a socket in the work dir); the screen is read
with `tmux capture-pane -p` (text) and `-e` (with the escape codes):

  rows        both servers appear: "standalone" and "refused", colours on (green, red)
  ?           shows the help text, ? again hides it
  s           the "sort:" label goes as given -> state (the refused row first) -> lag -> latency
              -> as given
  p           "PAUSED" in the header, the AGE column grows; p resumes and AGE is fresh again
  j/k, arrows the reverse-video (selected) row moves; Enter shows "== <server> ==" for the
              selected one, Enter hides it
  resize      50x20 shows the "too small" message, 160x40 brings the rows back
  q           zabra exits 1 (a server is down), the alternate screen is left, the pane's command
              is bash again and the tty is back in canonical mode with echo (a typed command
              shows and runs)
  NO_COLOR=1  no colour escapes at all (the selected row still in reverse)
  Ctrl-C and SIGTERM (to zabra's PID) restore the terminal as q does

Every problem is reported (with the screen saved in the work dir), then the exit status is 1.
Run: python3 -m tests.peers.checks.top_tmux [-k]   (-k keeps the work dir)
"""
import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import time

from tests.peers import Proc, WorkDir, ZabraNode, binary, free_port, run, skip, skip_unless, wait_until

SGR = "\x1b\\[[0-9;]*m"
COLOUR_PARAM = re.compile(r"3[0-8]|4[0-8]|9[0-7]|10[0-7]")
PROMPT = "top-test$ "
PROMPT_RE = r"^top-test\$( |$)"     # capture-pane drops the space at the end of a line
TERMINFO = ("/usr/share/terminfo/x/xterm-256color", "/lib/terminfo/x/xterm-256color",
            "/etc/terminfo/x/xterm-256color")
T0 = time.monotonic()


def say(msg):
    print("[%6.2fs] %s" % (time.monotonic() - T0, msg), flush=True)


class Dashboard:
    """A tmux server of our own with one window "top" running bash, and the checks on its screen."""

    def __init__(self, work, tmux):
        self.work = work
        self.tmux = tmux
        self.sock = work.file("tmux.sock")
        self.server = Proc([tmux, "-S", self.sock, "-f", "/dev/null", "-D"], "tmux", work.file("tmux.log"))
        self.failures = []
        self.nshot = 0
        self.nchecks = 0

    # -- tmux ------------------------------------------------------------------
    def tm(self, *args, check=True):
        r = subprocess.run([self.tmux, "-S", self.sock, "-f", "/dev/null"] + list(args), capture_output=True,
                           text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
        return r.stdout

    def start(self):
        self.server.start()
        wait_until(lambda: self.server.check_alive() and os.path.exists(self.sock), 30, "tmux's socket %s" % self.sock)
        self.tm("new-session", "-d", "-s", "top", "-x", "160", "-y", "40", "-c", str(self.work),
                "env TERM=xterm-256color PS1='%s' HISTFILE=/dev/null bash --norc --noprofile" % PROMPT)
        self.tm("set-option", "-t", "top", "-g", "remain-on-exit", "off")
        self.wait_for("the shell's prompt", PROMPT_RE)

    def close(self):
        if self.server.running:
            self.tm("kill-server", check=False)
            self.server.wait(30)

    def screen(self):
        return self.tm("capture-pane", "-p", "-t", "top")

    def screen_e(self):
        return self.tm("capture-pane", "-p", "-e", "-t", "top")

    def key(self, *keys):
        self.tm("send-keys", "-t", "top", *keys)

    def pane(self, fmt):
        return self.tm("display", "-p", "-t", "top", fmt).strip()

    # -- findings ----------------------------------------------------------------
    def fail(self, msg):
        self.failures.append(msg)
        print("top-tmux: FAIL: %s" % msg, flush=True)

    def shot(self, name):
        """Keeps the screen (text and escapes) for the record; returns the text file's path."""
        self.nshot += 1
        base = os.path.join(str(self.work), "%02d-%s" % (self.nshot, re.sub("[^A-Za-z0-9_.-]", "-", name)))
        with open(base + ".txt", "w") as f:
            f.write(self.screen())
        with open(base + ".esc", "w") as f:
            f.write(self.screen_e())
        return base + ".txt"

    def shows(self, regex):
        return re.search(regex, self.screen(), re.M) is not None

    def wait_for(self, desc, regex, secs=20):
        """Until a line of the screen matches; a failure (with the screen kept) otherwise."""
        try:
            wait_until(lambda: self.shows(regex), secs, desc, interval=0.05)
            return True
        except TimeoutError:
            path = self.shot("missing-" + desc)
            self.fail("%s: no line matching /%s/ within %ds (screen in %s)" % (desc, regex, secs, path))
            return False

    def wait_gone(self, desc, regex, secs=20):
        """Until no line of the screen matches."""
        try:
            wait_until(lambda: not self.shows(regex), secs, desc, interval=0.05)
            return True
        except TimeoutError:
            path = self.shot("still-" + desc)
            self.fail("%s: a line still matches /%s/ after %ds (screen in %s)" % (desc, regex, secs, path))
            return False

    def row_line(self, server_re):
        """The number of the screen line that shows the server's row, or None."""
        for i, line in enumerate(self.screen().splitlines()):
            if re.match(server_re, line):
                return i
        return None

    def is_reverse(self, server_re):
        """Does the server's row start in reverse video (SGR 7)?  None when it is not shown."""
        for line in self.screen_e().splitlines():
            m = re.match("((?:%s)*)%s " % (SGR, server_re), line)
            if m:
                return re.search(r"(\[|;)7(;|m)", m.group(1)) is not None
        return None

    def wait_selected(self, desc, server_re, other_re):
        """Until server_re's row is the selected one; other_re's must then not be."""
        try:
            wait_until(lambda: self.is_reverse(server_re), 20, desc, interval=0.05)
        except TimeoutError:
            self.fail("%s: the row /%s/ is not in reverse video (screen in %s)" % (desc, server_re,
                                                                                  self.shot("not-selected")))
            return
        if self.is_reverse(other_re):
            self.fail("%s: the row /%s/ is in reverse video too" % (desc, other_re))

    def colour_sgrs(self):
        """{colour SGR parameter: count} on the screen (30-38, 40-48, 90-97, 100-107)."""
        params = []
        for seq in re.findall(SGR, self.screen_e()):
            params += [p for p in seq[2:-1].split(";") if COLOUR_PARAM.fullmatch(p)]
        return collections.Counter(params)

    def age_of(self, server_re):
        """The AGE column of the server's row, in tenths of a second (-1 when not shown)."""
        for line in self.screen().splitlines():
            if re.match(server_re + " ", line):
                m = re.search(r" ([0-9]+)\.([0-9])s( |$)", line)
                return int(m.group(1)) * 10 + int(m.group(2)) if m else -1
        return -1

    def wait_age(self, desc, server_re, ok):
        """Until ok(AGE in tenths) holds for the server's row; returns the last AGE read."""
        seen = []

        def holds():
            seen.append(self.age_of(server_re))
            return ok(seen[-1])
        try:
            wait_until(holds, 20, desc, interval=0.1)
            return seen[-1]
        except TimeoutError:
            self.fail("%s: AGE of /%s/ is %d tenths of a second (screen in %s)" % (
                desc, server_re, self.age_of(server_re), self.shot("age")))
            return None

    # -- the shell -----------------------------------------------------------------
    def wait_shell(self, when):
        """zabra has exited: the pane runs bash again, out of the alternate screen."""
        try:
            wait_until(lambda: self.pane("#{pane_current_command}") == "bash" and self.pane("#{alternate_on}") == "0",
                       20, "the shell back after %s" % when, interval=0.05)
            return True
        except TimeoutError:
            self.shot("no-shell-" + when)
            self.fail("%s: the pane is '%s' with alternate screen %s 20 s later" % (
                when, self.pane("#{pane_current_command}"), self.pane("#{alternate_on}")))
            return False

    def check_tty(self, when):
        """The shell echoes what is typed and runs it (canonical mode, echo)."""
        self.nchecks += 1
        tag = "TTY%d" % self.nchecks
        self.key("echo %s-$((6*7)) $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | paste -sd,)" % tag,
                 "Enter")
        self.wait_for("%s: shell echoes and runs a command" % when, "^%s-42 icanon,echo$" % tag)
        if ("echo %s-" % tag) not in self.screen():
            self.fail("%s: the typed command line is not on the screen (echo off?)" % when)

    def exit_status(self, when, expected):
        self.key('echo "zabra-exit-%s=$?"' % when, "Enter")
        self.wait_for("%s: exit status %d" % (when, expected), "^zabra-exit-%s=%d$" % (when, expected))

    def quit_and_check(self, when, keys=None, expected=1):
        """After zabra is told to end (keys, or already): the shell is back, exit status, tty."""
        if keys:
            self.key(*keys)
        if self.wait_shell(when):
            if when == "q":
                self.shot("after-q")
                if not self.shows(PROMPT_RE):
                    self.fail("after q, no shell prompt on the screen")
            self.exit_status(when, expected)
            self.check_tty(when)


def zabra_child_of(shell_pid):
    """The pid of a process named zabra whose parent is shell_pid, or None."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if comm == "zabra" and int(rest[1]) == shell_pid:
            return int(entry)
    return None


def scenario(d, zabra, up, down):
    up_re, down_re = re.escape(up), re.escape(down)
    row_up, row_down = "^%s +standalone " % up_re, "^%s +refused " % down_re

    def run_top(env=""):
        d.key("clear", "Enter")
        d.wait_gone("screen cleared", "zabra-exit-|TTY[0-9]")
        d.key("%s '%s' top --interval 0.5 %s,%s" % (env, zabra, up, down), "Enter")

    say("1. rows (colours on)")
    run_top()
    d.wait_for("the node's row", row_up)
    d.wait_for("the closed port's row", row_down)
    d.wait_for("header", r"^zabra top - every 0\.5s - sort: as given ")
    if not d.shows("leader changes:"):
        d.fail("no 'leader changes:' section")
    if d.pane("#{alternate_on}") != "1":
        d.fail("zabra top did not switch to the alternate screen")
    d.shot("rows")
    colours = d.colour_sgrs()
    say("   colour SGR parameters on the screen {code: count}: %s" % dict(colours))
    if not colours["32"]:
        d.fail("no green (32) on the screen with colours on: %s" % dict(colours))
    if not colours["31"]:
        d.fail("no red (31) for the refused row: %s" % dict(colours))

    say("2. ? help")
    d.key("?")
    d.wait_for("help shown", r"q quit +\? this help")
    d.shot("help")
    d.key("?")
    d.wait_gone("help hidden", r"q quit +\? this help")

    say("3. s sort")
    d.key("s")
    d.wait_for("sort by state", "sort: state( |$)")
    d.shot("sort-state")
    n_up, n_down = d.row_line(row_up), d.row_line(row_down)
    if n_up is None or n_down is None or n_down > n_up:
        d.fail("sorted by state, the refused row (line %s) should come before the standalone one (line %s)"
               % (n_down, n_up))
    for label in ("lag", "latency", "as given"):
        d.key("s")
        d.wait_for("sort by " + label, "sort: %s( |$)" % label)
    n_up, n_down = d.row_line(row_up), d.row_line(row_down)
    if n_up is None or n_down is None or n_up > n_down:
        d.fail("as given, the rows are not in the given order")

    say("4. p pause")
    d.key("p")
    d.wait_for("paused", "sort: as given - PAUSED")
    age0 = d.age_of(up_re)
    # paused, nothing refreshes the row: its AGE grows (running, it stays within an interval)
    age1 = d.wait_age("paused: AGE grows by 1.5 s", up_re, lambda a: a >= age0 + 15)
    d.shot("paused")
    say("   AGE of %s while paused: %.1fs, then %s" % (up, age0 / 10, "-" if age1 is None else "%.1fs" % (age1 / 10)))
    d.key("p")
    d.wait_gone("resumed", "PAUSED")
    d.wait_age("resumed: AGE fresh again", up_re, lambda a: 0 <= a <= 6)

    say("5. selection: j/k, arrows, Enter")
    if d.is_reverse(up_re) is not True:
        d.fail("the first row (%s) is not the selected one (reverse video) at start" % up)
    if d.is_reverse(down_re) is True:
        d.fail("the second row (%s) is in reverse video at start" % down)
    d.key("Enter")
    d.wait_for("details of " + up, "== %s ==" % up_re)
    d.shot("detail-first")
    if "state standalone" not in d.screen():
        d.fail("the details of %s do not say 'state standalone'" % up)
    d.key("Enter")
    d.wait_gone("details hidden", "== %s ==" % up_re)
    d.key("j")
    d.wait_selected("after j", down_re, up_re)
    d.shot("after-j")
    d.key("Enter")
    d.wait_for("details of %s after j" % down, "== %s ==" % down_re)
    screen = d.screen()
    if "state refused" not in screen:
        d.fail("the details of %s do not say 'state refused'" % down)
    if "error: " not in screen:
        d.fail("the details of %s show no error line" % down)
    d.shot("detail-second")
    d.key("Enter")
    d.wait_gone("details hidden", "== %s ==" % down_re)
    d.key("j")          # already the last row: stays
    d.key("k")
    d.wait_selected("after j (at the last row) and k", up_re, down_re)
    d.key("Down")
    d.wait_selected("after Down", down_re, up_re)
    d.key("Up")
    d.wait_selected("after Up", up_re, down_re)

    say("6. resize")
    d.tm("resize-window", "-t", "top", "-x", "50", "-y", "20")
    d.wait_for("too small at 50x20", "too small")
    d.shot("small")
    if d.shows(row_up):
        d.fail("rows still shown at 50x20")
    d.tm("resize-window", "-t", "top", "-x", "160", "-y", "40")
    d.wait_for("rows back at 160x40", row_up)
    d.wait_gone("no too-small message at 160x40", "too small")
    if not d.shows(row_down):
        d.fail("the second row is not back at 160x40")
    d.shot("resized-back")

    say("7. q")
    d.quit_and_check("q", ["q"])

    say("8. NO_COLOR=1")
    run_top("NO_COLOR=1")
    d.wait_for("NO_COLOR: the node's row", row_up)
    d.wait_for("NO_COLOR: the closed port's row", row_down)
    time.sleep(0.6)     # a redraw or two more, to be sure no colour comes later
    path = d.shot("no-color")
    nocol = d.colour_sgrs()
    if nocol:
        d.fail("NO_COLOR=1: colour escapes on the screen: %s (see %s)" % (dict(nocol), path[:-4] + ".esc"))
    if d.is_reverse(up_re) is not True:
        d.fail("NO_COLOR=1: the selected row is not in reverse video")
    say("   NO_COLOR=1: colour SGR parameters: %s" % (dict(nocol) or "none"))
    d.quit_and_check("ctrl-c", ["C-c"])

    say("9. SIGTERM")
    run_top()
    d.wait_for("SIGTERM run: rows", row_up)
    shell_pid = int(d.pane("#{pane_pid}"))
    try:
        top_pid = wait_until(lambda: zabra_child_of(shell_pid), 20, "zabra top, a child of the pane's shell")
    except TimeoutError:
        d.fail("could not find zabra top's pid (a child of the pane's shell, pid %d)" % shell_pid)
    else:
        os.kill(top_pid, signal.SIGTERM)
        d.quit_and_check("sigterm")
        try:
            wait_until(lambda: not os.path.exists("/proc/%d" % top_pid), 20, "zabra top (pid %d) gone" % top_pid)
        except TimeoutError:
            d.fail("zabra top (pid %d) is still there after SIGTERM" % top_pid)
    d.shot("end")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    skip_unless("zabra", "zabra-node")
    zabra = binary("zabra")
    if subprocess.run([zabra, "top", "--help"], capture_output=True, timeout=30).returncode != 0:
        skip("%s has no 'top' command" % zabra)
    tmux = shutil.which("tmux")
    if not tmux:
        skip("tmux not found (apt-get install tmux)")
    if not any(os.path.exists(p) for p in TERMINFO):
        skip("no terminfo entry for xterm-256color (apt-get install ncurses-base)")
    os.environ.update(LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC")

    work = WorkDir("top-tmux", keep=args.keep)
    node = ZabraNode(workdir=work, tick_time=2000, four_letter="*").start()
    if node.mode() != "standalone":
        raise RuntimeError("zabra-node on %s does not answer srvr as standalone" % node.hostport)
    up, down = node.hostport, "127.0.0.1:%d" % free_port()     # nothing listens on the second one
    d = Dashboard(work, tmux)
    d.start()
    say("zabra-node (pid %d) on %s; %s is closed; tmux server pid %d on %s" % (node.pid, up, down, d.server.pid,
                                                                                 d.sock))
    try:
        scenario(d, zabra, up, down)
    finally:
        d.close()
        node.stop()
    if d.failures:
        print("\ntop-tmux: FAILED (%d problem(s)); screens in %s:" % (len(d.failures), work))
        for f in d.failures:
            print("  - %s" % f)
        return 1
    say("top-tmux: passed")
    return 0


if __name__ == "__main__":
    run(main)
