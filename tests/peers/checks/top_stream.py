"""`zabra top --json` as a stream, each line stored with its arrival time, and the checks that
top_vs_ensemble makes on such streams: (a) one --once sample of a healthy ensemble, (b) the
leader killed, (c) a follower stopped.  Times are time.monotonic() of this process."""
import json
import threading
import time

from tests.peers import Proc, binary, wait_until


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


class TopStream:
    """`zabra top ARGS` run in the background (a Proc); .lines is [(arrival time, rows)]."""

    def __init__(self, work, name, args):
        self.name = name
        self.proc = Proc([binary("zabra"), "top"] + list(args), name, work.file(name + ".err"), stdout_pipe=True)
        self.stream_file = work.file(name + ".stream")
        self.lines = []
        self.start_time = None
        self.rc = None
        self._reader = threading.Thread(target=self._read, daemon=True)

    def start(self):
        self.start_time = time.monotonic()
        self.proc.start()
        self._reader.start()
        return self

    def _read(self):
        with open(self.stream_file, "w") as out:
            out.write("#start\t%.6f\n" % self.start_time)
            for raw in self.proc.stdout:
                t = time.monotonic()
                text = raw.decode("utf-8", "replace").rstrip("\n")
                out.write("%.6f\t%s\n" % (t, text))
                out.flush()
                try:
                    rows = json.loads(text)
                except ValueError as e:
                    rows = Failed("line %d is not JSON (%s): %r" % (len(self.lines) + 1, e, text[:200]))
                self.lines.append((t, rows))

    def wait_lines(self, n, timeout=60):
        """Until n lines have come; the stream must not end before."""
        def enough():
            if len(self.lines) >= n:
                return True
            if not self.proc.running:
                raise Failed("%s ended after %d lines, before %d (stderr: %s)"
                             % (self.name, len(self.lines), n, self.proc.log_tail(5)))
            return False
        wait_until(enough, timeout, "%d lines of %s" % (n, self.name), interval=0.05)

    def finish(self, timeout):
        """Waits for the stream to end by itself; returns [(t, rows)] (every line a JSON array)."""
        self.rc = self.proc.wait(timeout)
        self._reader.join(timeout=10)
        self.proc.stdout.close()
        err = self.proc.log_text()
        for line in err.splitlines():
            if not line.startswith("### "):
                print("    %s stderr: %s" % (self.name, line))
        for i, (t, rows) in enumerate(self.lines):
            if isinstance(rows, Failed):
                raise rows
            check(isinstance(rows, list), "line %d of %s is not a JSON array" % (i + 1, self.name))
        return self.lines


def by_server(rows):
    return {r["server"]: r for r in rows}


def check_row_shape(row, servers):
    for k in ("server", "state", "zxid", "epoch", "counter", "lag", "age", "leader_changes", "error"):
        check(k in row, "row without %r: %s" % (k, row))
    check(row["server"] in servers, "unknown server %r (asked for %s)" % (row["server"], servers))
    z = row["zxid"]
    if z is None:
        check(row["epoch"] is None and row["counter"] is None, "no zxid but epoch/counter: %s" % row)
    else:
        check(isinstance(z, str) and z.startswith("0x"), "zxid not \"0x...\": %r" % z)
        v = int(z, 16)
        check(row["epoch"] == v >> 32 and row["counter"] == v & 0xffffffff,
              "epoch/counter %s/%s do not match zxid %s" % (row["epoch"], row["counter"], z))


def check_samples(lines, servers, count):
    """count lines, each with every server in the order asked for, each row well formed."""
    check(len(lines) == count, "%d lines, expected %d (--count %d)" % (len(lines), count, count))
    for t, rows in lines:
        check([r["server"] for r in rows] == servers, "line at %.3f: servers %s, expected %s"
              % (t, [r["server"] for r in rows], servers))
        for r in rows:
            check_row_shape(r, servers)


def fmt_states(rows):
    return " ".join("%s=%s%s" % (r["server"].rsplit(":", 1)[1], r["state"],
                                 "(%s)" % r["zxid"] if r["zxid"] else "") for r in rows)


# ---------------------------------------------------------------------------
def check_once(text, servers, leader, rc):
    """(a) one --once --json sample of a healthy, idle ensemble whose leader srvr names `leader`."""
    check(text.count("\n") == 1 and text.endswith("\n"), "--once printed %d lines, not 1" % text.count("\n"))
    rows = json.loads(text)
    check_samples([(0.0, rows)], servers, 1)
    leaders = [r["server"] for r in rows if r["state"] == "leader"]
    followers = [r["server"] for r in rows if r["state"] == "follower"]
    check(len(leaders) == 1, "%d leaders: %s" % (len(leaders), fmt_states(rows)))
    check(len(followers) == 2, "%d followers: %s" % (len(followers), fmt_states(rows)))
    check(leaders[0] == leader, "zabra says the leader is %s, srvr said %s" % (leaders[0], leader))
    lead = by_server(rows)[leaders[0]]
    for r in rows:
        check(r["error"] is None, "error on %s: %s" % (r["server"], r["error"]))
        check(r["leader_changes"] == 0, "leader_changes %s in a single sample" % r["leader_changes"])
        if r["state"] == "follower":
            if r["epoch"] == lead["epoch"]:
                check(r["lag"] == lead["counter"] - r["counter"],
                      "lag %s of %s is not the leader's counter minus its own" % (r["lag"], r["server"]))
            check(r["lag"] is not None and 0 <= r["lag"] <= 5,
                  "follower %s lag %s on an idle ensemble" % (r["server"], r["lag"]))
        # with mntr whitelisted, the mntr-only fields are there
        check(r["watches"] is not None and r["data_size"] is not None,
              "no mntr fields on %s (watches %s, data_size %s)" % (r["server"], r["watches"], r["data_size"]))
    print("  (a) %s; exit %s" % (fmt_states(rows), rc))
    check(rc == 0, "exit status %s on a healthy ensemble, expected 0" % rc)


# ---------------------------------------------------------------------------
def check_failover(label, lines, rc, servers, dead, kill_at, count):
    """(b) the stream around a SIGKILL of the leader `dead` at kill_at."""
    survivors = [s for s in servers if s != dead]
    check_samples(lines, servers, count)
    for t, rows in lines:
        check(len({r["leader_changes"] for r in rows}) == 1, "rows disagree on leader_changes: %s" % rows)
    before = [(t, rows) for t, rows in lines if t < kill_at]
    check(before, "no line before the kill")
    for t, rows in before:
        b = by_server(rows)
        check(b[dead]["state"] == "leader", "before the kill (%+.2fs): %s" % (t - kill_at, fmt_states(rows)))
        check(b[dead]["leader_changes"] == 0, "leader_changes %s before the kill" % b[dead]["leader_changes"])
    print("  (b) %s stream (t relative to the SIGKILL of %s; a line is shown when a state changes):" % (label, dead))
    prev = None
    for t, rows in lines:
        desc = "%s  leader_changes=%d" % (fmt_states(rows), rows[0]["leader_changes"])
        if desc != prev:
            print("      %+7.2fs  %s" % (t - kill_at, desc))
        prev = desc
    # the dead one shows refused, from some line on, until the end
    refused = [i for i, (t, rows) in enumerate(lines) if by_server(rows)[dead]["state"] == "refused"]
    check(refused, "the killed leader %s never shows as refused" % dead)
    first_ref = refused[0]
    check(all(by_server(rows)[dead]["state"] == "refused" for t, rows in lines[first_ref:]),
          "the killed leader is not refused in every line after the first refused one")
    check(lines[first_ref][0] > kill_at, "refused before the kill?")
    # a new leader among the survivors
    with_leader = [(i, ls) for i, ls in ((i, [s for s in survivors if by_server(rows)[s]["state"] == "leader"])
                                         for i, (t, rows) in enumerate(lines) if t > kill_at) if ls]
    check(with_leader, "no survivor ever became leader after the kill")
    i0, ls0 = with_leader[0]
    new_leader = ls0[0]
    check(len(ls0) == 1, "two leaders at once: %s" % ls0)
    final = by_server(lines[-1][1])
    check(final[new_leader]["state"] == "leader", "the new leader %s is %s in the last line"
          % (new_leader, final[new_leader]["state"]))
    other = [s for s in survivors if s != new_leader][0]
    check(final[other]["state"] == "follower", "the other survivor %s is %s in the last line"
          % (other, final[other]["state"]))
    old_epoch = by_server(before[-1][1])[dead]["epoch"]
    check(final[new_leader]["epoch"] > old_epoch, "the new leader's epoch %s is not above the old one's %s"
          % (final[new_leader]["epoch"], old_epoch))
    leaderless = sum(1 for t, rows in lines if t > kill_at and not any(r["state"] == "leader" for r in rows))
    print("      killed leader refused %.2fs after the kill; new leader %s seen %.2fs after it; %d line(s) "
          "without a leader in between" % (lines[first_ref][0] - kill_at, new_leader, lines[i0][0] - kill_at,
                                           leaderless))
    # one failover is one leader change
    changes = [rows[0]["leader_changes"] for t, rows in lines[i0:]]
    print("      leader_changes from the new leader's first line on: %s; exit %s" % (sorted(set(changes)), rc))
    check(all(c == 1 for c in changes),
          "leader_changes is %s after one failover (%s -> %s), expected 1 (zabra top counts the leaderless "
          "gap of the election as a change of its own?)" % (sorted(set(changes)), dead, new_leader))
    check(rc == 1, "exit status %s with a quorum but one server down, expected 1" % rc)


# ---------------------------------------------------------------------------
def mean(xs):
    return sum(xs) / len(xs)


def check_stall(lines, rc, start, servers, stopped, stop_at, cont_at, count, interval, timeout):
    """(c) the stream around a SIGSTOP (stop_at) and SIGCONT (cont_at) of the follower `stopped`."""
    others = [s for s in servers if s != stopped]
    check_samples(lines, servers, count)
    times = [t for t, _ in lines]
    # Lines whose poll began after the SIGSTOP and ended before the SIGCONT.  A poll takes at
    # most --timeout; the margin after it covers a loaded machine reading the line late.
    during = [(t, rows) for t, rows in lines if stop_at + timeout + 0.5 < t < cont_at]
    print("  (c) stream (t relative to the SIGSTOP of %s; SIGCONT at %+.2fs):" % (stopped, cont_at - stop_at))
    prev_t = start
    for t, rows in lines:
        b = by_server(rows)
        print("      %+7.2fs  (+%.3fs)  %s  ages %s" % (t - stop_at, t - prev_t, fmt_states(rows),
                                                    "/".join("%.3f" % b[s]["age"] for s in servers)))
        prev_t = t
    check(len(during) >= 5, "only %d lines while the follower was stopped" % len(during))
    for t, rows in during:
        b = by_server(rows)
        check(b[stopped]["state"] == "timeout", "%+.2fs: the stopped follower is %s, not timeout"
              % (t - stop_at, b[stopped]["state"]))
        check(b[stopped]["error"], "%+.2fs: a timeout row without an error text" % (t - stop_at))
        for s in others:
            check(b[s]["state"] in ("leader", "follower"), "%+.2fs: %s is %s while another server is stopped"
                  % (t - stop_at, s, b[s]["state"]))
            # age is zabra's: from the end of the poll that last heard from the server to the
            # sample; a server that answered this poll is fresh however long the poll took
            check(b[s]["age"] < 0.25, "%+.2fs: %s has age %.3f" % (t - stop_at, s, b[s]["age"]))
    # the live rows keep changing: the writer's txns show up in their zxids
    for s in others:
        counters = [by_server(rows)[s]["counter"] for t, rows in during]
        moved = sum(1 for a, b in zip(counters, counters[1:]) if b > a)
        print("      %s: zxid counter %s -> %s over the stall, advanced in %d of %d consecutive lines"
              % (s, counters[0], counters[-1], moved, len(counters) - 1))
        check(counters[-1] > counters[0], "%s's zxid did not advance while %s was stopped" % (s, stopped))
        check(moved >= (len(counters) - 1) * 0.7, "%s's zxid advanced in only %d of %d lines"
              % (s, moved, len(counters) - 1))
    # The schedule: polls start every interval and a line comes when its poll ends, so a server
    # that never answers must not slow the stream down: the gaps while it is stopped are the
    # gaps while every server answers.  Compared with each other (both measured on this machine
    # under the same load), not with the clock; a schedule that waits the timeout on top of the
    # interval would make them `timeout` longer, half of which is the margin here.
    healthy = [all(r["state"] in ("leader", "follower") for r in rows) for t, rows in lines]
    healthy_gaps = [b - a for (a, b, ha, hb) in zip(times, times[1:], healthy, healthy[1:]) if ha and hb]
    during_gaps = [b - a for a, b in zip(times, times[1:]) if stop_at < a and b < cont_at]
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    print("      gaps between lines (s): all %d: min %.3f median %.3f max %.3f; while stopped (%d): mean %.3f "
          "min %.3f max %.3f; every server answering (%d): mean %.3f" % (
              len(gaps), gaps[0], gaps[len(gaps) // 2], gaps[-1], len(during_gaps), mean(during_gaps),
              min(during_gaps), max(during_gaps), len(healthy_gaps), mean(healthy_gaps) if healthy_gaps else -1))
    print("      first line %.3fs after the start" % (times[0] - start))
    check(len(healthy_gaps) >= 3, "only %d gaps between lines where every server answered" % len(healthy_gaps))
    check(abs(mean(during_gaps) - mean(healthy_gaps)) < timeout / 2,
          "lines came every %.3fs on average while the follower was stopped, every %.3fs while all answered "
          "(interval %.1f, timeout %.1f)" % (mean(during_gaps), mean(healthy_gaps), interval, timeout))
    # the follower came back
    final = by_server(lines[-1][1])
    check(final[stopped]["state"] == "follower", "after SIGCONT the follower is %s in the last line"
          % final[stopped]["state"])
    print("      exit %s" % rc)
    check(rc == 0, "exit status %s with every server back, expected 0" % rc)
