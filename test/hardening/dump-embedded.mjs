// Test helper: prints, as JSON, every entry of every table of the embedded store in
// directory argv[2] except the node registry, read straight from LMDB in a process of
// its own (LMDB forbids opening one environment twice in the same process). Values are
// whatever the driver stored; the hardening tests compare two dumps for equality.
import { open } from 'lmdb';

const TABLES = ['kv', 'kv-expiry', 'counters', 'scores', 'ranking', 'limits', 'locks', 'fences'];
const root = open({ path: process.argv[2], maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
const out = {};
for (const name of TABLES) {
  const db = root.openDB(name, {});
  const table = {};
  for (const { key, value } of db.getRange({})) table[JSON.stringify(key)] = value;
  out[name] = table;
}
process.stdout.write(`${JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}\n`);
await root.close();
