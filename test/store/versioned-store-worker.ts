/**
 * A store user of a given code version: imports the store from the source tree in
 * argv[2] (an earlier version extracted from git, or this one) and, on the embedded
 * directory argv[3], for argv[4] ms: rewrites its own keys, reads the other version's
 * keys and checks each is absent or exactly what that version writes, and records
 * scores. Prints `ready` once its first writes are committed, then one JSON line.
 *
 * Usage: node --import tsx test/store/versioned-store-worker.ts SRC_ROOT DIR MS MINE OTHER
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as StoreModule from '../../src/store/index.js';
import { BOARD, KEYS, expectedValue } from './versioned-values.js';

const [srcRoot, dir, ms, mine, other] = process.argv.slice(2) as [string, string, string, string, string];
const { openStore } = (await import(pathToFileURL(path.join(srcRoot, 'src/store/index.ts')).href)) as typeof StoreModule;
const store = await openStore({ driver: 'embedded', dir, durability: 'commit' });

let writes = 0;
let reads = 0;
const misreads: string[] = [];
async function writeRound(round: number): Promise<void> {
  for (let i = 0; i < KEYS; i++) await store.set(`${mine}:${i}`, expectedValue(mine, i, round));
  for (let i = 0; i < 20; i++) await store.zset(BOARD, `${mine}-${i}`, (round * 7 + i) % 50, { mode: 'set' });
  writes += KEYS;
}
function check(key: string, json: string | undefined, i: number): void {
  if (json === undefined) return;
  const value = JSON.parse(json) as { round: number };
  if (json !== JSON.stringify(expectedValue(other, i, value.round))) misreads.push(`${key}: ${json.slice(0, 200)}`);
}

try {
  await writeRound(0);
  process.stdout.write('ready\n');
  const deadline = Date.now() + Number(ms);
  for (let round = 1; Date.now() < deadline; round++) {
    await writeRound(round);
    for (let i = 0; i < KEYS; i++) {
      const key = `${other}:${i}`;
      const entry = await store.getJson(key);
      const got = await store.get(key);
      if (JSON.stringify(got?.value) !== entry?.json && !(got === null && entry === null)) misreads.push(`${key}: get and getJson differ`);
      check(key, entry?.json, i);
      reads++;
    }
  }
  process.stdout.write(`${JSON.stringify({ ok: true, writes, reads, misreads: misreads.slice(0, 5), misreadCount: misreads.length })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err) })}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
