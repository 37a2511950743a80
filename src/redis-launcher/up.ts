/**
 * `redis-cluster up`: start, resume or restart the local cluster in DIR. The manifest is
 * written as soon as the nodes run, before forming, so a crash from then on still leaves
 * every PID on record for `down`; a failure of this call stops what this call started.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createCluster, redisCliBinary } from './form.js';
import { removeManifest, seedUrlFor, writeManifest, type Manifest, type RunningCluster } from './manifest.js';
import { assertPortsFree, startNodes } from './nodes.js';
import { DEFAULT_BASE_PORT, DEFAULT_NODE_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS, validateOptions, type RedisClusterOptions } from './options.js';
import { planCluster, type Plan } from './plan.js';
import { waitForClusterReady } from './ready.js';
import { redisServerBinary, type RedisServerProcess } from './redis-server.js';

/** Readiness waits at least this long, however short the node timeout. */
const MIN_READY_TIMEOUT_MS = 30_000;

interface Launch {
  dir: string;
  plan: Plan;
  log: (message: string) => void;
  nodeTimeoutMs: number;
  readyTimeoutMs: number;
}

/**
 * Starts (or resumes) the cluster in opts.dir and resolves once every node reports
 * cluster_state:ok. Idempotent: a running cluster is returned as is; a formed cluster
 * whose processes are gone is restarted from its data instead of being re-created.
 */
export async function startRedisCluster(opts: RedisClusterOptions): Promise<RunningCluster> {
  validateOptions(opts);
  // A missing binary is reported before DIR is created or any port is probed.
  redisServerBinary();
  redisCliBinary();
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  const launch: Launch = {
    dir,
    plan: planCluster(dir, opts),
    log: opts.log ?? (() => {}),
    nodeTimeoutMs,
    // Failure detection and failover are paced by the node timeout, so settling is too.
    readyTimeoutMs: Math.max(MIN_READY_TIMEOUT_MS, nodeTimeoutMs * 6),
  };
  const missing = launch.plan.ports.filter((p) => !launch.plan.running.has(p));
  if (missing.length === 0 && launch.plan.formed) return resumeRunning(launch);
  return startMissing(launch, missing);
}

/** Every node already runs: only wait for the cluster to be ready, start nothing. */
async function resumeRunning({ dir, plan, log, readyTimeoutMs }: Launch): Promise<RunningCluster> {
  log(`Redis Cluster already running on ports ${plan.ports[0]}-${plan.ports.at(-1)}`);
  await waitForClusterReady(plan.ports, readyTimeoutMs);
  return toRunningCluster(dir, plan.ports, plan.running);
}

/** Starts the MISSING nodes, forms the cluster if it never was, and waits for it. */
async function startMissing(launch: Launch, missing: number[]): Promise<RunningCluster> {
  const { dir, plan, log } = launch;
  await assertPortsFree(missing);
  log(`starting ${missing.length} redis-server node(s) on ports ${missing.join(', ')}`);
  const started = await startNodes(dir, missing, launch.nodeTimeoutMs);
  const pids = new Map([...plan.running, ...started.map((s) => [s.port, s.pid] as const)]);
  writeManifest(dir, toManifest(plan, pids));
  try {
    if (!plan.formed) {
      log(`forming the cluster (${plan.replicas} replica(s) per primary)`);
      await createCluster(plan.ports, plan.replicas);
    }
    log('waiting for cluster_state:ok on every node');
    await waitForClusterReady(plan.ports, launch.readyTimeoutMs);
  } catch (err) {
    await rollback(dir, plan, pids, started);
    throw err;
  }
  return toRunningCluster(dir, plan.ports, pids);
}

/** Stops only what this call started, so a failed `up` leaves no new processes behind. */
async function rollback(dir: string, plan: Plan, pids: Map<number, number>, started: RedisServerProcess[]): Promise<void> {
  await Promise.all(started.map((s) => s.stop(DEFAULT_STOP_GRACE_MS)));
  for (const s of started) pids.delete(s.port);
  // Nodes that ran before this call still do, and must stay on record for `down`.
  if (pids.size > 0) writeManifest(dir, toManifest(plan, pids));
  else removeManifest(dir);
}

function toManifest(plan: Plan, pids: Map<number, number>): Manifest {
  const base = plan.ports[0] ?? DEFAULT_BASE_PORT;
  const nodes = plan.ports.flatMap((port) => {
    const pid = pids.get(port);
    return pid === undefined ? [] : [{ port, pid }];
  });
  return { basePort: base, nodes, seedUrl: seedUrlFor(base), replicas: plan.replicas };
}

function toRunningCluster(dir: string, ports: number[], pids: Map<number, number>): RunningCluster {
  const base = ports[0] ?? DEFAULT_BASE_PORT;
  const nodes = ports.map((port) => ({ port, pid: pids.get(port) ?? 0 }));
  return { seedUrl: seedUrlFor(base), dir, nodes };
}
