#!/usr/bin/env python3
"""backlog.py SPOOL_DIR [SECONDS]: records spooled on this host and not yet
shipped (spool lines minus the shipped positions in the .pos files).

With SECONDS, prints the backlog once a second for that long, reading only
the bytes appended since the previous second (a whole re-read of every
segment each second cost the box ~0.1 core during beacon.sh's peak runs).
backlog.py SPOOL_DIR --drain SECONDS: polls every 0.1 s until the backlog is
0 (at most SECONDS) and prints how long that took. Without, prints it once."""
import os
import re
import sys
import time

SEG = re.compile(r"(seg-\d{16}-\d+-\d+)\.(seg|open)$")


class Counter:
    def __init__(self, d):
        self.d = d
        self.seen = {}      # segment base -> (bytes read, newlines in them)

    def count(self):
        names = os.listdir(self.d)
        pos, n, live = {}, 0, {}
        for f in names:
            if f.endswith(".pos"):
                try:
                    with open(os.path.join(self.d, f)) as fh:
                        pos[f[:-4]] = int(fh.read().split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        for f in names:
            m = SEG.match(f)
            if not m:
                continue
            base = m.group(1)
            off, lines = self.seen.get(base, (0, 0))
            try:
                with open(os.path.join(self.d, f), "rb") as fh:
                    fh.seek(off)
                    chunk = fh.read()
            except OSError:
                continue
            lines += chunk.count(b"\n")
            live[base] = (off + len(chunk), lines)
            n += lines - pos.get(base, 0)
        self.seen = live
        return n


def main():
    c = Counter(sys.argv[1])
    if len(sys.argv) < 3:
        print(c.count())
        return
    if sys.argv[2] == "--drain":
        t0 = time.time()
        while c.count() > 0 and time.time() - t0 < float(sys.argv[3]):
            time.sleep(0.1)
        print("%.1f" % (time.time() - t0))
        return
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        time.sleep(1)
        print(c.count(), flush=True)


main()
