"""Mint valid proof-of-work tokens (spec/20 §3.2-§3.3, §4.2-§4.3) the way the
tracker does, so load tests and fault tests can send beacons that are stored
(a missing token scores +50 and is discarded). Pure stdlib; checked against
the spec's test vectors by self_test().

    tok = token(secret, site, sid)          # current minute and 6-hour period
"""
import hashlib
import hmac
import struct
import time

M64 = (1 << 64) - 1
PERIOD_MS = 21600000


def _rotl(x, n):
    return ((x << n) | (x >> (64 - n))) & M64


def params_from_seed(seed):
    m = struct.unpack("<4Q", seed[:32])
    r = tuple(7 + seed[32 + k] % 47 for k in range(5))
    return m, r


def solve(params, data):
    (v0, v1, v2, v3), (r1, r2, r3, r4, r5) = params

    def rnd(v0, v1, v2, v3):
        v0 = (v0 + v1) & M64
        v1 = _rotl(v1, r1) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & M64
        v3 = _rotl(v3, r2) ^ v2
        v0 = (v0 + v3) & M64
        v3 = _rotl(v3, r3) ^ v0
        v2 = (v2 + v1) & M64
        v1 = _rotl(v1, r4) ^ v2
        v2 = _rotl(v2, r5)
        return v0, v1, v2, v3

    n = len(data)
    i = 0
    while i + 8 <= n:
        b = struct.unpack_from("<Q", data, i)[0]
        v3 ^= b
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
        v0 ^= b
        i += 8
    b = (n & 0xFF) << 56
    for j in range(i, n):
        b |= data[j] << (8 * (j - i))
    v3 ^= b
    v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    v0 ^= b
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = rnd(v0, v1, v2, v3)
    return struct.pack("<QQ", v0 ^ v1, v2 ^ v3).hex()


def challenge(secret, minute):
    return hmac.new(secret.encode(), str(minute).encode(), hashlib.sha256).digest()[:16].hex()


def period_params(secret, period):
    k = secret.encode()
    seed = (hmac.new(k, ("echelon-pow-wasm:%d:0" % period).encode(), hashlib.sha256).digest() +
            hmac.new(k, ("echelon-pow-wasm:%d:1" % period).encode(), hashlib.sha256).digest())
    return params_from_seed(seed)


_cache = {}


def token(secret, site, sid, now_ms=None):
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    minute, period = now_ms // 60000, now_ms // PERIOD_MS
    key = (secret, minute, period)
    if key not in _cache:
        _cache.clear()
        _cache[key] = (challenge(secret, minute), period_params(secret, period))
    ch, params = _cache[key]
    return solve(params, ("%s:%s:%s" % (ch, sid, site)).encode())


def self_test():
    a = params_from_seed(bytes(range(64)))
    assert solve(a, b"") == "416fa393f364e7e030a8e4974ff85224"
    assert solve(a, b"a") == "45afb82941bd92d55c9a5afc3ca1e61f"
    assert solve(a, b"abcdefgh") == "69b65c98208cd17c2d2c9ebd104a3593"
    assert solve(a, b"challenge:session:site") == "2ed79d35672d3ca43c2df0fc7195d885"
    assert solve(params_from_seed(b"\xff" * 64), b"") == "2bf97232e39d3ee5d70bdf957f3011e5"
    assert solve(params_from_seed(b"\x00" * 64), b"challenge:session:site") == "98ac504c8a70113430f851ec689b6e1e"
    assert challenge("test-secret", 29000000) == "16883500da5aa84231a5569520d413f1"
    ch = "16883500da5aa84231a5569520d413f1"
    assert solve(a, ("%s:550e8400-e29b-41d4-a716-446655440000:my-site" % ch).encode()) == \
        "fcdbcd58e3f9435fbf8c5a1c04144579"
    return True


if __name__ == "__main__":
    import sys
    self_test()
    if len(sys.argv) == 4:
        print(token(sys.argv[1], sys.argv[2], sys.argv[3]))
    else:
        print("ok")
