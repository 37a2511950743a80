/**
 * Redis Cluster failover under write load, recorded Jepsen-style: every write is logged
 * as acked, unknown (STORE_UNAVAILABLE: it may or may not have been applied) or failed
 * (any other error: a bug). Mid-run, the primary that owns the "victim" lanes' slot is
 * either SIGKILLed (a crash) or SIGSTOPped (a hang: its connections stay open and
 * nothing answers, like a network partition); its replica takes over after
 * cluster-node-timeout. Writers keep going until the victim's slot accepts writes
 * again, then every acked write is read back.
 *
 * Redis Cluster replicates asynchronously, so a write the old primary acknowledged but
 * had not yet sent to its replica is lost. The test asserts what the driver must
 * guarantee — recovery within a bound, every call answered within its timeout, every
 * failure typed — and records (rather than forbids) the loss, which must stay small.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { openStore, type Store } from '../../src/store/index.js';
import { readClusterManifest } from '../../src/redis-launcher/index.js';
import { runMiniscale, startTestCluster, type TestCluster } from '../support/redis.js';

const NODE_TIMEOUT_MS = 2_000;
const OP_TIMEOUT_MS = 1_000;
/** Failure detection (node timeout) + election + the client noticing, with a margin. */
const RECOVERY_BOUND_MS = 20_000;
/** One writer per hash tag; the primary owning the first lane's slot is the victim. */
const LANES = ['fo-1', 'fo-2', 'fo-3', 'fo-4', 'fo-5', 'fo-6'];

interface Outcome {
  lane: string;
  key: string;
  value: number;
  result: 'acked' | 'unknown' | 'failed';
  /** When the call started and how long it took. */
  at: number;
  ms: number;
  error?: string;
}

interface Run {
  log: Outcome[];
  /** Lanes whose slot the victim owned. */
  victimLanes: Set<string>;
  faultAt: number;
  /** When the first write to one of the victim's slots after the fault was acked. */
  recoveredAt: number;
  /** `ping()` 500 ms into the outage, and once writes work again: 'ok' or the error code. */
  pingDuring: string;
  pingAfter: string;
}

describe('redis-cluster failover', { timeout: 240_000 }, () => {
  it('a SIGKILLed primary: the driver recovers within the bound, errors are typed and timely, few acked writes are lost', async (t) => {
    await failoverScenario(t, 'SIGKILL');
  });

  it('a hung (SIGSTOPped) primary: the driver routes to the promoted replica instead of timing out forever', async (t) => {
    await failoverScenario(t, 'SIGSTOP');
  });

  it('every node down: calls fail at once, nothing refused is applied when the cluster returns, and the driver reconnects', async (t) => {
    await wholeClusterOutage(t);
  });
});

/**
 * With no node left, ioredis would queue every command in memory, with no deadline,
 * until the cluster is back — and then run them all: writes whose callers were told
 * STORE_UNAVAILABLE long before. The driver refuses calls while disconnected instead.
 */
async function wholeClusterOutage(t: TestContext): Promise<void> {
  const cluster = await startTestCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
  let store: Store | undefined;
  try {
    store = await openStore({ driver: 'redis-cluster', url: cluster.seedUrl, opTimeoutMs: OP_TIMEOUT_MS });
    await store.set('{whole}:x', 'before');
    await sleep(1_500); // past appendfsync everysec: 'before' survives the SIGKILL
    for (const node of cluster.cluster.nodes) process.kill(node.pid, 'SIGKILL');
    const refused = await writeDuringOutage(store, '{whole}:x', 3_000);
    const recoveryMs = await restartCluster(cluster, store);
    await sleep(1_000); // a queued write would have run by now
    const after = (await store.get('{whole}:x'))?.value;
    t.diagnostic(`redis-cluster whole outage: ${JSON.stringify({ ...refused, recoveryAfterRestartMs: recoveryMs, valueAfter: after })}`);
    assert.deepEqual(
      Object.keys(refused.errors).filter((e) => !e.startsWith('STORE_UNAVAILABLE:')),
      [],
      'every failure must be STORE_UNAVAILABLE',
    );
    assert.equal(refused.acked, 0);
    assert.ok(refused.p50Ms < 100, `calls waited ${refused.p50Ms} ms (median) instead of failing at once`);
    assert.equal(after, 'before', 'a write refused during the outage was applied after it');
  } finally {
    await store?.close();
    await cluster.stop();
  }
}

interface OutageCalls {
  calls: number;
  acked: number;
  p50Ms: number;
  maxMs: number;
  errors: Record<string, number>;
}

/** Batches of 20 concurrent writes every 50 ms for `forMs`; all expected to fail. */
async function writeDuringOutage(store: Store, key: string, forMs: number): Promise<OutageCalls> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let acked = 0;
  const end = Date.now() + forMs;
  for (let batch = 0; Date.now() < end; batch++) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const at = Date.now();
        try {
          await store.set(key, `refused-${batch}-${i}`);
          acked++;
        } catch (err) {
          errors.push(`${(err as { code?: string }).code}: ${(err as Error).message}`);
        }
        latencies.push(Date.now() - at);
      }),
    );
    await sleep(50);
  }
  latencies.sort((a, b) => a - b);
  return {
    calls: latencies.length,
    acked,
    p50Ms: latencies[latencies.length >> 1] ?? 0,
    maxMs: latencies.at(-1) ?? 0,
    errors: histogram(errors),
  };
}

/** `redis-cluster up` again on the same dir (restarts from data); ms until a write succeeds. */
async function restartCluster(cluster: TestCluster, store: Store): Promise<number> {
  const manifest = readClusterManifest(cluster.dir);
  assert.ok(manifest, 'the cluster manifest is gone');
  const up = await runMiniscale(
    [
      'redis-cluster',
      'up',
      '--dir',
      cluster.dir,
      '--port',
      String(manifest.basePort),
      '--replicas',
      String(manifest.replicas),
      '--node-timeout',
      String(NODE_TIMEOUT_MS),
    ],
    { timeoutMs: 90_000 },
  );
  assert.equal(up.code, 0, up.stderr);
  const restartedAt = Date.now();
  for (;;) {
    try {
      await store.set('{whole}:probe', 1);
      return Date.now() - restartedAt;
    } catch (err) {
      if (Date.now() - restartedAt > RECOVERY_BOUND_MS) throw err;
      await sleep(100);
    }
  }
}

async function failoverScenario(t: TestContext, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const cluster = await startTestCluster({ nodeTimeoutMs: NODE_TIMEOUT_MS });
  let store: Store | undefined;
  let victimPid: number | undefined;
  try {
    store = await openStore({ driver: 'redis-cluster', url: cluster.seedUrl, opTimeoutMs: OP_TIMEOUT_MS });
    const owners = await Promise.all(LANES.map((tag) => ownerOf(cluster, `{${tag}}`)));
    const victimLanes = new Set(LANES.filter((_, i) => owners[i] === owners[0]));
    victimPid = cluster.cluster.nodes.find((n) => n.port === owners[0])!.pid;
    const pid = victimPid;
    const run = await writeThroughFault(store, victimLanes, () => process.kill(pid, signal));
    if (signal === 'SIGSTOP') process.kill(pid, 'SIGCONT');
    await checkAndReport(t, store, run, signal);
  } finally {
    await store?.close();
    // A stopped process cannot exit on SIGTERM; resume it so the cluster stops cleanly.
    if (signal === 'SIGSTOP' && victimPid) {
      try {
        process.kill(victimPid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    await cluster.stop();
  }
}

/** Runs the writer lanes, injects the fault after 1.5 s, stops 1 s after recovery (or the bound). */
async function writeThroughFault(store: Store, victimLanes: Set<string>, fault: () => void): Promise<Run> {
  const log: Outcome[] = [];
  let running = true;
  const lanes = LANES.map((tag) => writerLane(store, tag, log, () => running));
  await sleep(1_500);
  const faultAt = Date.now();
  fault();
  await sleep(500);
  const pingDuring = await pingResult(store);
  let recoveredAt = 0;
  while (!recoveredAt && Date.now() < faultAt + RECOVERY_BOUND_MS + 10_000) {
    await sleep(100);
    const ok = log.find((o) => victimLanes.has(o.lane) && o.result === 'acked' && o.at > faultAt);
    if (ok) recoveredAt = ok.at + ok.ms;
  }
  await sleep(1_000);
  const pingAfter = await pingResult(store);
  running = false;
  await Promise.all(lanes);
  return { log, victimLanes, faultAt, recoveredAt, pingDuring, pingAfter };
}

function pingResult(store: Store): Promise<string> {
  return store.ping().then(
    () => 'ok',
    (err: { code?: string }) => err.code ?? String(err),
  );
}

/** Writes `{tag}:0`, `{tag}:1`, … one at a time, each key once, logging every outcome. */
async function writerLane(store: Store, tag: string, log: Outcome[], running: () => boolean): Promise<void> {
  for (let i = 0; running(); i++) {
    const key = `{${tag}}:${i}`;
    const at = Date.now();
    try {
      await store.set(key, i);
      log.push({ lane: tag, key, value: i, result: 'acked', at, ms: Date.now() - at });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const error = `${code}: ${(err as Error).message}`;
      log.push({ lane: tag, key, value: i, result: code === 'STORE_UNAVAILABLE' ? 'unknown' : 'failed', at, ms: Date.now() - at, error });
      await sleep(20);
    }
  }
}

async function checkAndReport(t: TestContext, store: Store, run: Run, signal: string): Promise<void> {
  const { log, victimLanes, faultAt, recoveredAt, pingDuring, pingAfter } = run;
  const acked = log.filter((o) => o.result === 'acked');
  let lost = 0;
  for (const o of acked) {
    if ((await store.get(o.key))?.value !== o.value) lost++;
  }
  const slowest = Math.max(...log.map((o) => o.ms));
  const failed = log.filter((o) => o.result === 'failed');
  // Writes to the surviving primaries while the victim's slots were down.
  const others = log.filter((o) => !victimLanes.has(o.lane) && o.at > faultAt && (!recoveredAt || o.at < recoveredAt));
  const report = {
    fault: signal,
    victimLanes: victimLanes.size,
    writes: log.length,
    acked: acked.length,
    unknown: log.filter((o) => o.result === 'unknown').length,
    failed: failed.length,
    lostAcked: lost,
    outageMs: recoveredAt ? recoveredAt - faultAt : null,
    slowestCallMs: slowest,
    otherPrimariesDuringOutage: `${others.filter((o) => o.result === 'acked').length}/${others.length} acked`,
    errors: histogram(log.flatMap((o) => (o.error ? [o.error] : []))),
    pingDuring,
    pingAfter,
  };
  t.diagnostic(`redis-cluster failover: ${JSON.stringify(report)}`);

  assert.ok(
    recoveredAt > 0 && recoveredAt - faultAt <= RECOVERY_BOUND_MS,
    `writes to the lost primary's slot did not succeed again within ${RECOVERY_BOUND_MS} ms`,
  );
  assert.ok(slowest <= OP_TIMEOUT_MS + 500, `a call took ${slowest} ms with a ${OP_TIMEOUT_MS} ms timeout`);
  assert.deepEqual(
    failed.map((o) => o.error),
    [],
    'every failure must be STORE_UNAVAILABLE',
  );
  assert.ok(lost <= Math.max(5, acked.length * 0.02), `lost ${lost} of ${acked.length} acked writes`);
  // ping checks every primary that owns slots, so a cluster missing one is not "healthy".
  assert.equal(pingDuring, 'STORE_UNAVAILABLE');
  assert.equal(pingAfter, 'ok');
}

/** Error messages with their counts, numbers masked so that similar ones group. */
function histogram(messages: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of messages) {
    const k = m.replace(/\d+/g, 'N');
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** The port of the primary that owns the slot of `key`, asked of the cluster itself. */
async function ownerOf(c: TestCluster, key: string): Promise<number> {
  const conn = new Redis({ port: Number(new URL(c.seedUrl).port), host: '127.0.0.1', lazyConnect: true });
  try {
    await conn.connect();
    const slot = Number(await conn.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await conn.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    assert.ok(range, `no owner for slot ${slot}`);
    return Number(range[2][1]);
  } finally {
    conn.disconnect();
  }
}
