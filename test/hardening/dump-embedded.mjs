// Test helper: prints, as JSON, every entry of every table of the embedded store in
// directory argv[2] except the node registry, read straight from LMDB in a process of
// its own (LMDB forbids opening one environment twice in the same process). Values are
// whatever the driver stored; the hardening tests compare two dumps for equality.
import { open } from 'lmdb';

const TABLES = ['kv', 'kv-expiry', 'counters', 'scores', 'ranking', 'rank-tree', 'limits', 'locks', 'fences', 'meta'];
/**
 * A kv record in the packed layout (src/store/drivers/embedded-packed-record.ts) is raw
 * bytes that msgpack cannot decode: shown as its JSON text and all its bytes.
 */
const PACKED_MARKER = 0xc1;
const packedView = (raw) => ({ text: raw.toString('utf8', 23, 23 + raw.readUInt32LE(19)), bytes: raw.toString('base64') });
const root = open({ path: process.argv[2], maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
const out = {};
for (const name of TABLES) {
  const db = root.openDB(name, {});
  const raw = root.openDB(name, { encoding: 'binary' });
  const table = {};
  for (const { key, value } of raw.getRange({})) {
    table[JSON.stringify(key)] = name === 'kv' && value[0] === PACKED_MARKER ? packedView(value) : db.get(key);
  }
  out[name] = table;
}
process.stdout.write(`${JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}\n`);
await root.close();
