#!/usr/bin/env python3
"""mkmmdb.py OUT: a tiny MaxMind-format (MMDB v2) country database for tests.

The test stack points ECHELON_GEOIP_DB at it, so the libmaxminddb path of
geo.c (country without CDN headers, IPv4 and IPv6) runs through the real
stack without the npm download. Written from the format description
(search tree of 24-bit records, 16-byte separator, data section, metadata
after the "\\xab\\xcd\\xefMaxMind.com" marker); IPv4 lives at ::/96.

Networks (documentation and benchmarking ranges, never real visitors):
  192.0.2.0/24     -> NO  (country.iso_code)
  203.0.113.0/24   -> JP  (registered_country.iso_code only: the fallback)
  2001:db8:1::/48  -> SE
Everything else: not found (no country)."""
import ipaddress
import struct
import sys
import time

NETS = [
    ("192.0.2.0/24", {"country": {"iso_code": "NO"}}),
    ("203.0.113.0/24", {"registered_country": {"iso_code": "JP"}}),
    ("2001:db8:1::/48", {"country": {"iso_code": "SE"}}),
]


def ctrl(typ, size):
    """Control byte(s) for a type and a payload size (< 29 here)."""
    assert size < 29
    if typ <= 7:
        return bytes([(typ << 5) | size])
    return bytes([size, typ - 7])          # extended type


def enc(v):
    if isinstance(v, dict):
        out = ctrl(7, len(v))
        for k, x in v.items():
            out += enc(k) + enc(x)
        return out
    if isinstance(v, list):
        out = ctrl(11, len(v))
        for x in v:
            out += enc(x)
        return out
    if isinstance(v, str):
        b = v.encode()
        return ctrl(2, len(b)) + b
    if isinstance(v, tuple):               # (type, int): unsigned of that type
        typ, n = v
        b = n.to_bytes(8, "big").lstrip(b"\0")
        return ctrl(typ, len(b)) + b
    raise TypeError(v)


def build():
    data = b""
    offs = []
    for _, rec in NETS:
        offs.append(len(data))
        data += enc(rec)
    nodes = [[None, None]]                  # each record: None, ("n", i) or ("d", off)
    for (net, _), off in zip(NETS, offs):
        n = ipaddress.ip_network(net)
        addr = int(n.network_address)              # IPv4: ::a.b.c.d, under 96 zero bits
        plen = n.prefixlen if n.version == 6 else 96 + n.prefixlen
        cur = 0
        for i in range(plen):
            bit = (addr >> (127 - i)) & 1
            if i == plen - 1:
                nodes[cur][bit] = ("d", off)
                break
            nxt = nodes[cur][bit]
            if nxt is None:
                nodes.append([None, None])
                nxt = ("n", len(nodes) - 1)
                nodes[cur][bit] = nxt
            cur = nxt[1]
    count = len(nodes)

    def val(r):
        if r is None:
            return count
        return r[1] if r[0] == "n" else count + 16 + r[1]

    tree = b"".join(struct.pack(">I", val(a))[1:] + struct.pack(">I", val(b))[1:] for a, b in nodes)
    meta = {
        "binary_format_major_version": (5, 2),
        "binary_format_minor_version": (5, 0),
        "build_epoch": (9, int(time.time())),
        "database_type": "Echelon-Test-Country",
        "description": {"en": "Echelon test networks"},
        "ip_version": (5, 6),
        "languages": ["en"],
        "node_count": (6, count),
        "record_size": (5, 24),
    }
    return tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + enc(meta)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(build())
