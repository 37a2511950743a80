/**
 * N worker processes against one backend, driven in lock-step: every cell starts in all
 * of them at once and its result is the merge of theirs (ops/s summed, percentiles over
 * all samples), which is what "3 processes at once" means in the table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stopPid } from '../../src/redis-launcher/redis-server.js';
import type { StoreConfig } from '../../src/store/open-store.js';
import { onCleanup } from './cleanup.js';
import { Histogram } from './histogram.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { CellResult, LoadOptions, OpName } from './workload.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface Merged {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  conflicts: number;
  errors: number;
  firstError: string | null;
}

export class WorkerPool {
  readonly #children: ChildProcess[];
  readonly #stop: () => Promise<void>;

  private constructor(children: ChildProcess[], stop: () => Promise<void>) {
    this.#children = children;
    this.#stop = stop;
  }

  static async start(count: number, config: StoreConfig): Promise<WorkerPool> {
    const children = Array.from({ length: count }, () =>
      spawn(process.execPath, ['--import', 'tsx', WORKER, '--config', JSON.stringify(config)], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const stop = onCleanup(async () => {
      await Promise.all(children.flatMap((c) => (c.pid === undefined ? [] : [stopPid(c.pid, 3_000)])));
    });
    const pool = new WorkerPool(children, stop);
    try {
      await Promise.all(children.map((c) => nextMessage(c, 'ready')));
    } catch (err) {
      await stop();
      throw err;
    }
    return pool;
  }

  async run(op: OpName, load: LoadOptions): Promise<Merged> {
    const results = Promise.all(this.#children.map((c) => nextMessage(c, 'result')));
    const msg: ToWorker = { type: 'run', op, ...load };
    for (const c of this.#children) c.send(msg);
    return merge((await results).map((m) => m.result));
  }

  /** Asks each worker to close its store and exit; whatever is still running after 3 s is stopped by PID. */
  async close(): Promise<void> {
    const exited = this.#children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve())),
    );
    for (const c of this.#children) if (c.connected) c.send({ type: 'exit' } satisfies ToWorker);
    await Promise.race([Promise.all(exited), sleep(3_000)]);
    await this.#stop();
  }
}

/** The next message of the wanted type; a worker error or exit rejects. */
function nextMessage<T extends FromWorker['type']>(child: ChildProcess, type: T): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: unknown) => {
      const msg = raw as FromWorker;
      if (msg.type === 'error') finish(new Error(`worker ${child.pid}: ${msg.message}`));
      else if (msg.type === type) finish(null, msg as Extract<FromWorker, { type: T }>);
    };
    const onExit = (code: number | null) => finish(new Error(`worker ${child.pid} exited (code ${code}) before '${type}'`));
    const finish = (err: Error | null, msg?: Extract<FromWorker, { type: T }>) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err || !msg) reject(err ?? new Error('no message'));
      else resolve(msg);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function merge(results: CellResult[]): Merged {
  const hist = new Histogram();
  for (const r of results) hist.merge(r.hist);
  return {
    // Each process ran for (about) the same window at the same time, so rates add up.
    opsPerSec: results.reduce((sum, r) => sum + (r.elapsedMs > 0 ? (r.ops * 1000) / r.elapsedMs : 0), 0),
    p50Ms: hist.quantileMs(0.5),
    p99Ms: hist.quantileMs(0.99),
    samples: hist.count,
    conflicts: results.reduce((s, r) => s + r.conflicts, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError ?? null,
  };
}
