// Test helper: prints, as JSON, each kv key of the embedded store in argv[2] with the
// first byte of its stored record (0xd4: format 1's msgpack record, 0xc1: packed),
// read in a process of its own (LMDB forbids opening one environment twice in a process).
import { open } from 'lmdb';

const root = open({ path: process.argv[2], maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
const kv = root.openDB('kv', { encoding: 'binary' });
const layouts = {};
for (const { key, value } of kv.getRange({})) layouts[key] = value[0];
process.stdout.write(`${JSON.stringify(layouts)}\n`);
await root.close();
