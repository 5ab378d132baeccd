#!/bin/sh
# test_pow_wasm.sh -- run the emitted PoW modules in Node's WebAssembly engine
# and compare every output with the native C hash (spec/20 §3.1: bit-identical
# for every parameter set and input). pow_dump supplies modules and the C
# answers; the JavaScript below follows the tracker's contract (§3.5): no
# imports, input at offset 0, solve(0, len, 2048), 16 bytes read at 2048.
# Exit 77 (skip) when node is not installed.
set -eu
NODE=${NODE:-node}
if ! command -v "$NODE" >/dev/null 2>&1; then
    echo "SKIP: $NODE not found"
    exit 77
fi
DUMP=./tests/unit/pow_dump
[ -x "$DUMP" ] || DUMP="$(dirname "$0")/pow_dump"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$DUMP" "${POW_SEEDS:-8}" "${POW_INPUTS:-1000}" >"$tmp/dump.txt"
cat >"$tmp/check.js" <<'JS'
'use strict';
const fs = require('fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
let mods = 0, inputs = 0, bad = 0, inst = null;
const unhex = (h) => (h === '-' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(h, 'hex')));
(async () => {
  for (const line of lines) {
    if (line.startsWith('M ')) {
      const bytes = unhex(line.slice(2));
      if (!WebAssembly.validate(bytes)) throw new Error('module ' + mods + ' does not validate');
      const m = await WebAssembly.compile(bytes);
      if (WebAssembly.Module.imports(m).length !== 0) throw new Error('module has imports');
      const ex = WebAssembly.Module.exports(m).map((e) => e.kind + ':' + e.name).join(',');
      if (ex !== 'memory:memory,function:solve') throw new Error('exports: ' + ex);
      inst = await WebAssembly.instantiate(m);   // no import object, as the tracker does
      mods++;
    } else if (line.startsWith('I ')) {
      const [, ih, want] = line.split(' ');
      const input = unhex(ih);
      const mem = new Uint8Array(inst.exports.memory.buffer);
      mem.fill(0xA5, 0, 8192);                   // stale bytes must not matter
      mem.set(input, 0);
      inst.exports.solve(0, input.length, 2048);
      const got = Buffer.from(mem.slice(2048, 2064)).toString('hex');
      if (got !== want) {
        if (bad++ < 5) console.error('mismatch module ' + (mods - 1) + ' len ' + input.length +
                                     ': wasm ' + got + ' c ' + want);
      }
      inputs++;
    }
  }
  console.log(mods + ' modules, ' + inputs + ' inputs, ' + bad + ' mismatches');
  if (mods < 5 || inputs < 1000 || bad) process.exit(1);
})().catch((e) => { console.error(e.message || e); process.exit(1); });
JS
"$NODE" "$tmp/check.js" "$tmp/dump.txt"
