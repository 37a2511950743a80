/**
 * One cell in this process, for profiling a single operation without the worker
 * machinery, e.g.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/store/profile.ts --op get
 *   node --cpu-prof --import tsx bench/store/profile.ts --op get --url redis://127.0.0.1:6379
 * Embedded uses a fresh temp dir; --url points at a running Redis (--cluster for a cluster).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type StoreConfig } from '../../src/store/open-store.js';
import { OPS, runLoad, seed, type OpName } from './workload.js';

const { values } = parseArgs({
  options: {
    op: { type: 'string', default: 'get' },
    url: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    'duration-ms': { type: 'string', default: '5000' },
  },
});
const op = values.op as OpName;
if (!OPS.includes(op)) throw new Error(`--op must be one of ${OPS.join(', ')}`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'miniscale-bench-profile-'));
const config: StoreConfig = values.url
  ? { driver: values.cluster ? 'redis-cluster' : 'redis', url: values.url }
  : { driver: 'embedded', dir: tmp };
try {
  const store = await openStore(config);
  await seed(store);
  const r = await runLoad(store, op, { concurrency: 50, warmupMs: 500, durationMs: Number(values['duration-ms']) });
  console.log(`${config.driver} ${op}: ${Math.round((r.ops * 1000) / r.elapsedMs)} ops/s (${r.errors} errors)`);
  await store.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
