#!/usr/bin/env python3
"""cpushare.py SECONDS [DELAY]: CPU used per program name over a window.

Sleeps DELAY seconds, then sums utime+stime of every process between two
snapshots SECONDS apart and prints the busiest programs in cores (1.00 =
one core busy for the whole window). beacon.sh runs it beside wrk."""
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
        d[p] = (comm, int(f[11]) + int(f[12]))
    return d


def main():
    dur = float(sys.argv[1])
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
    a = snap()
    t0 = time.time()
    time.sleep(dur)
    b = snap()
    t = time.time() - t0
    hz = os.sysconf("SC_CLK_TCK")
    tot = collections.Counter()
    for p, (c, v) in b.items():
        tot[c] += v - a.get(p, (c, 0))[1]
    busy = [(c, v) for c, v in tot.most_common() if v > 0][:6]
    print("    cpu: " + ", ".join("%s %.2f" % (c, v / hz / t) for c, v in busy)
          + "  (total %.2f cores)" % (sum(tot.values()) / hz / t))


main()
