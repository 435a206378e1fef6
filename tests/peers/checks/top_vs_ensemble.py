"""`zabra top` against a real 3-node ZooKeeper 3.8 ensemble (tickTime 500, srvr and mntr whitelisted),
or, with --zabra-node, against three zabra-nodes, which it must show just the same:

  (a) `zabra top --once --json` names exactly one leader (the one srvr names) and two followers,
      with the servers and ports asked for, in that order; zxid/epoch/counter agree, lag is the
      leader's counter minus the follower's, the mntr fields are there, exit 0;
  (b) `zabra top --interval 0.5 --count 60 --json` runs in the background (and the same at
      --interval 0.1, which is sure to sample the election); after a few lines the leader is
      killed (SIGKILL).  The stream must show the dead server as "refused" from then on, a new
      leader among the survivors (a higher epoch) and leader_changes == 1 (one failover); exit 1
      (quorum, one server down);
  (c) the killed server is restarted; `zabra top --interval 0.5 --timeout 0.4 --count 40 --json`
      runs while a writer makes ~10 txns/s; a follower is stopped (SIGSTOP) for 8 s, then
      continued.  While it is stopped its row must be "timeout" and the other rows leader or
      follower, fresh (age < 0.25 s), with zxids that keep advancing, and the lines must come as
      often as while every server answers (polls start every interval whatever a server does).
      At the end the follower is a follower again; exit 0.

Each JSON line is stored with its arrival time; the checks are in top_stream.

Run: python3 -m tests.peers.checks.top_vs_ensemble [-k]   (-k keeps the work dir)
"""
import argparse
import os
import signal
import subprocess
import threading
import time

from tests.peers import WorkDir, ZabraEnsemble, ZooKeeperEnsemble, binary, connect, connected, run, skip, skip_unless

from .top_stream import Failed, TopStream, check_failover, check_once, check_stall

T0 = time.monotonic()


def say(msg):
    print("[%4.0fs] %s" % (time.monotonic() - T0, msg), flush=True)


def write_znodes(ens, prefix, count, size):
    data = (b"zabra-top-" * (size // 10 + 1))[:size]
    with connected(ens) as zk:
        zk.ensure_path(prefix)
        for f in [zk.create_async("%s/n%07d" % (prefix, i), data) for i in range(count)]:
            f.get(timeout=60)
    print("    wrote %d znodes under %s" % (count, prefix))


class Trickle:
    """Small znodes at a steady rate for a while, in a thread, through one session on `hosts`."""

    def __init__(self, hosts, prefix, seconds, rate):
        self.hosts, self.prefix, self.seconds, self.rate = hosts, prefix, seconds, rate
        self.written = 0
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        try:
            zk = connect(self.hosts)
            try:
                zk.ensure_path(self.prefix)
                end = time.monotonic() + self.seconds
                nxt = time.monotonic()
                while time.monotonic() < end:
                    zk.create("%s/t%06d" % (self.prefix, self.written), b"top")
                    self.written += 1
                    nxt += 1.0 / self.rate
                    time.sleep(max(0.0, nxt - time.monotonic()))
            finally:
                zk.stop()
                zk.close()
        except Exception as e:      # reported by join()
            self.error = e

    def join(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise RuntimeError("the writer did not end within %.0f s" % timeout)
        if self.error:
            raise RuntimeError("the writer failed: %r" % self.error)
        print("    trickle: %d writes under %s in %.0f s" % (self.written, self.prefix, self.seconds))


def stream(work, name, hosts, *args):
    return TopStream(work, name, list(args) + ["--json", hosts]).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="keep", action="store_true", help="keep the work dir")
    ap.add_argument("--zabra-node", action="store_true",
                    help="watch an ensemble of three zabra-nodes instead of three ZooKeepers")
    args = ap.parse_args()
    skip_unless("zookeeper", "kazoo", "zabra", *(["zabra-node"] if args.zabra_node else []))
    zabra = binary("zabra")
    if subprocess.run([zabra, "top", "--help"], capture_output=True, timeout=30).returncode != 0:
        skip("%s has no 'top' command" % zabra)
    os.environ.update(TZ="UTC", LC_ALL="C.UTF-8", LANG="C.UTF-8")

    work = WorkDir("top-vs-ensemble", keep=args.keep)
    ens = (ZabraEnsemble if args.zabra_node else ZooKeeperEnsemble)(3, workdir=work, four_letter="srvr,mntr")
    hosts = ens.hosts()
    servers = hosts.split(",")
    hp = ens.hostport
    say("work dir %s; zabra %s; servers %s" % (work, zabra, hosts))
    leader = ens.start()
    say("ensemble up, leader %d (%s)" % (leader, hp(leader)))
    write_znodes(ens, "/init", 20, 32)
    # "idle" below means every follower has applied the writes: on a loaded
    # machine a follower may still be behind when the last create returns
    say("all at zxid %#x" % ens.wait_caught_up())

    # (a) ---------------------------------------------------------------------
    say("(a) zabra top --once --json")
    r = subprocess.run([zabra, "top", "--once", "--json", hosts], capture_output=True, text=True, timeout=60)
    for line in r.stderr.splitlines():
        print("    stderr: %s" % line)
    leader = ens.wait_for_quorum()      # srvr's view right after (no writes or kills in between)
    check_once(r.stdout, servers, hp(leader), r.returncode)

    # (b) ---------------------------------------------------------------------
    # The brief's stream at 0.5 s, and one at 0.1 s that is sure to sample the election itself
    # (followers "not-serving", no leader): one failover must count as one leader change in both.
    say("(b) zabra top --interval 0.5 --count 60 --json (and --interval 0.1 --count 150) in the "
        "background; SIGKILL of leader %d" % leader)
    b = stream(work, "b", hosts, "--interval", "0.5", "--count", "60")
    bf = stream(work, "bf", hosts, "--interval", "0.1", "--count", "150")
    b.wait_lines(6)
    bf.wait_lines(6)
    killed = leader
    kill_at = time.monotonic()
    ens.kill(killed)
    say("    leader %d (%s) killed; waiting for the streams to end" % (killed, hp(killed)))
    bf_lines = bf.finish(timeout=150 * 0.1 * 4 + 60)
    b_lines = b.finish(timeout=60 * 0.5 * 4 + 60)
    # (b) and (c) are both run and reported, whichever fails
    failures = []
    for label, lines, rc, count in (("0.5 s", b_lines, b.rc, 60), ("0.1 s", bf_lines, bf.rc, 150)):
        try:
            check_failover(label, lines, rc, servers, hp(killed), kill_at, count)
        except Failed as e:
            failures.append("(b) leader failover, %s stream: %s" % (label, e))
            print("FAIL: %s" % failures[-1])

    # (c) ---------------------------------------------------------------------
    say("(c) restarting server %d" % killed)
    ens.start(killed)
    leader = ens.wait_for_quorum()
    stopped = next(s for s in ens.sids if s != leader)
    live = ens.hosts([s for s in ens.sids if s != stopped])
    pid = ens.servers[stopped].pid
    say("    leader %d; follower %d (%s, pid %d) will be stopped for 8 s" % (leader, stopped, hp(stopped), pid))
    writer = Trickle(live, "/trickle", seconds=26, rate=10).start()
    time.sleep(1)
    c = stream(work, "c", hosts, "--interval", "0.5", "--timeout", "0.4", "--count", "40")
    c.wait_lines(6)
    stop_at = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(8)
    finally:
        cont_at = time.monotonic()
        os.kill(pid, signal.SIGCONT)
    say("    follower %d continued; waiting for the stream to end" % stopped)
    c_lines = c.finish(timeout=40 * 0.5 * 4 + 60)
    writer.join(timeout=120)
    try:
        check_stall(c_lines, c.rc, c.start_time, servers, hp(stopped), stop_at, cont_at, 40, 0.5, 0.4)
    except Failed as e:
        failures.append("(c) stopped follower: %s" % e)
        print("FAIL: %s" % failures[-1])

    ens.close()
    if failures:
        print("top-vs-ensemble: FAILED:\n  " + "\n  ".join(failures))
        return 1
    say("top-vs-ensemble: passed")
    return 0


if __name__ == "__main__":
    run(main)
