/**
 * A separate OS process that opens the same store as the test and runs one workload,
 * so cross-process guarantees (atomic incr, CAS, rate limits, locks) are tested
 * between real processes, not just between promises of one event loop.
 *
 * Usage: node --import tsx test/store/store-worker.ts '<json WorkerJob>'
 * Prints one JSON line: the workload's result.
 */
import { openStore, type StoreConfig } from '../../src/store/index.js';
import { isMiniscaleError } from '../../src/core/errors.js';

export type WorkerJob =
  | { op: 'incr'; config: StoreConfig; key: string; calls: number; concurrency: number }
  | { op: 'cas-increment'; config: StoreConfig; key: string; increments: number }
  | { op: 'hit'; config: StoreConfig; key: string; calls: number; limit: number; windowMs: number }
  | { op: 'locked-increment'; config: StoreConfig; lock: string; key: string; sections: number }
  | { op: 'acked-writes'; config: StoreConfig; prefix: string; count: number }
  | { op: 'zset-random'; config: StoreConfig; board: string; members: number; calls: number; concurrency: number };

const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
const store = await openStore(job.config);

async function run(): Promise<unknown> {
  switch (job.op) {
    case 'incr': {
      // `concurrency` calls in flight at once, to batch into shared transactions/pipelines.
      let next = 0;
      const lane = async () => {
        while (next++ < job.calls) await store.incr(job.key, 1);
      };
      await Promise.all(Array.from({ length: job.concurrency }, lane));
      return { calls: job.calls };
    }
    case 'cas-increment': {
      // Read-modify-write with ifVersion, retried on conflict: the textbook lost-update race.
      let conflicts = 0;
      for (let done = 0; done < job.increments;) {
        const cur = await store.get(job.key);
        const value = typeof cur?.value === 'number' ? cur.value : 0;
        try {
          if (cur) await store.set(job.key, value + 1, { ifVersion: cur.version });
          else await store.set(job.key, 1, { ifAbsent: true });
          done++;
        } catch (err) {
          if (!isMiniscaleError(err) || err.code !== 'VERSION_CONFLICT') throw err;
          conflicts++;
        }
      }
      return { conflicts };
    }
    case 'hit': {
      const results = await Promise.all(Array.from({ length: job.calls }, () => store.hit(job.key, job.limit, job.windowMs)));
      return { allowed: results.filter((r) => r.allowed).length };
    }
    case 'locked-increment': {
      // A deliberately non-atomic get-then-set, protected only by the lock: if two
      // processes ever held it at once, increments would be lost.
      const owner = `worker-${process.pid}`;
      for (let done = 0; done < job.sections;) {
        const lock = await store.acquire(job.lock, owner, 5_000);
        if (!lock) {
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          continue;
        }
        const cur = await store.get(job.key);
        await store.set(job.key, (typeof cur?.value === 'number' ? cur.value : 0) + 1);
        await store.release(lock);
        done++;
      }
      return { sections: job.sections };
    }
    case 'zset-random': {
      // Random members, random scores (many ties), both modes: the parent checks the final ranks.
      let next = 0;
      const lane = async () => {
        while (next++ < job.calls) {
          const member = `p${Math.floor(Math.random() * job.members)}`;
          await store.zset(job.board, member, Math.floor(Math.random() * 1_000), { mode: Math.random() < 0.5 ? 'set' : 'best' });
        }
      };
      await Promise.all(Array.from({ length: job.concurrency }, lane));
      return { calls: job.calls };
    }
    case 'acked-writes': {
      // Sequential writes; each line is printed only after its write was acknowledged,
      // so whatever the parent read before killing us was promised to be durable.
      // A write that outlives the store's timeout under a loaded disk is not acknowledged
      // (it may or may not land); it is reported and the stream goes on.
      for (let i = 0; i < job.count; i++) {
        try {
          await store.set(`${job.prefix}:${i}`, { i, pad: 'x'.repeat(200) });
          process.stdout.write(`ack ${i}\n`);
        } catch (err) {
          if (!isMiniscaleError(err) || err.code !== 'STORE_UNAVAILABLE') throw err;
          process.stdout.write(`timeout ${i}\n`);
        }
      }
      return { count: job.count };
    }
  }
}

try {
  const result = await run();
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err) })}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
