/**
 * Runs inside a network namespace for late-write.test.ts: a store client on the far
 * side of a partition. Line protocol on stdin/stdout: it prints `ready` once connected,
 * and on `write` tries one set and one incr (expected to time out while partitioned),
 * printing `set CODE` / `incr CODE` (`ok` when they were acknowledged).
 */
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/store/index.js';

const [url, driver] = [process.argv[2]!, (process.argv[3] ?? 'redis') as 'redis' | 'redis-cluster'];
const store = await openStore({ driver, url, opTimeoutMs: 1_000 });
await store.set('{late}:k', 'before');
console.log('ready');
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: { code?: string }) => err.code ?? String(err),
  );
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'write') {
    console.log(`set ${await outcome(store.set('{late}:k', 'stale'))}`);
    console.log(`incr ${await outcome(store.incr('{late}:n'))}`);
  } else if (line === 'quit') {
    await store.close();
    break;
  }
}
