// Test helper: prints, as JSON, the keys of the embedded store's kv table in the
// directory argv[2], read straight from LMDB in a process of its own (LMDB forbids
// opening one environment twice in the same process).
import { open } from 'lmdb';

const root = open({ path: process.argv[2], maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
const kv = root.openDB('kv', {});
process.stdout.write(`${JSON.stringify([...kv.getKeys()].sort())}\n`);
await root.close();
