#!/usr/bin/env python3
"""cpushare.py SECONDS [DELAY]: CPU used per program name over a window.

Sleeps DELAY seconds, then sums utime+stime of every process between two
snapshots SECONDS apart and prints the busiest programs in cores (1.00 =
one core busy for the whole window). beacon.sh runs it beside wrk.

cpushare.py --wait-quiet MAX_SECONDS: waits until one second passes with
less than 0.15 cores busy in total (leftover work of an earlier run: InnoDB
page flushing, a correlator sweep, an AOF rewrite), at most MAX_SECONDS;
prints what it waited for."""
import collections, os, sys, time


def snap():
    d = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as fh:
                s = fh.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        # own time plus that of reaped children (the shipper runs in
        # short-lived forked children of the workers)
        d[p] = (comm, int(f[11]) + int(f[12]) + int(f[13]) + int(f[14]))
    return d


def used(a, b):
    """Ticks per program name between snapshots a and b. A process that
    ended meanwhile shows up in its parent's children time with its whole
    life; what it had used before a is taken off again."""
    tot = collections.Counter()
    for p, (c, v) in b.items():
        tot[c] += v - a.get(p, (c, 0))[1]
    for p, (c, v) in a.items():
        if p not in b:
            tot[c] -= v
    return tot


def wait_quiet(limit):
    hz = os.sysconf("SC_CLK_TCK")
    t0 = time.time()
    while True:
        a = snap()
        time.sleep(1)
        b = snap()
        tot = used(a, b)
        busy = sum(tot.values()) / hz
        if busy < 0.15 or time.time() - t0 > limit:
            top = ", ".join("%s %.2f" % (c, v / hz) for c, v in tot.most_common(3) if v > 0)
            print("    waited %.0f s for a quiet box (last second: %.2f cores busy%s)"
                  % (time.time() - t0, busy, "; " + top if top else ""))
            return


def main():
    if sys.argv[1] == "--wait-quiet":
        wait_quiet(float(sys.argv[2]))
        return
    dur = float(sys.argv[1])
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
    a = snap()
    t0 = time.time()
    time.sleep(dur)
    b = snap()
    t = time.time() - t0
    hz = os.sysconf("SC_CLK_TCK")
    tot = used(a, b)
    busy = [(c, v) for c, v in tot.most_common() if v > 0][:6]
    print("    cpu: " + ", ".join("%s %.2f" % (c, v / hz / t) for c, v in busy)
          + "  (total %.2f cores)" % (sum(tot.values()) / hz / t))


main()
