/**
 * `npm run sim`: a small deployment simulated on this one machine, with network
 * namespaces as hosts (network.ts) — three app hosts, each running `miniscale up
 * --advertise` and a share of a Redis Cluster laid out so that every shard has a copy
 * on every app host (redis-layout.ts); a spare host for add-host; a gateway host running
 * `miniscale gateway --discover`. Clients in the root namespace read and write through
 * the gateway (test/faults' workload and op log) while one scenario at a time runs
 * (scenarios.ts); each is judged by test/faults' checker. Prints a table and writes
 * bench/results/sim-latest.json.
 *
 * Writes wait for one replica (MINISCALE_STORE_WAIT_REPLICAS=1) in every scenario: a
 * killed or cut-off host takes a primary with it, and only a write that reached a
 * replica on another host survives the failover.
 *
 * Needs root (ip netns), redis-server and redis-cli. `--quick` runs each scenario
 * briefly (under 10 minutes in all); `--scenario NAME` runs one. Exit code 1 when a
 * target is missed.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { check } from '../../test/faults/lib/checker.js';
import { closeAgent } from '../../test/faults/lib/http-client.js';
import { History } from '../../test/faults/lib/history.js';
import { readFinalState, startWorkload } from '../../test/faults/lib/workload.js';
import { parseCommandLine } from '../support/command-line.js';
import { REPO, requireBuilt, runBenchmark, tempDir } from '../support/processes.js';
import { printMarkdownTable, writeJson } from '../support/table.js';
import { startAppMachine, startGatewayMachine, type AppMachine } from './machines.js';
import { createNetwork } from './network.js';
import { startSimRedisCluster } from './redis-cluster.js';
import { prepare, runNemesis, SCENARIOS, type Deployment, type ScenarioName } from './scenarios.js';
import { summarize, type ScenarioRow } from './summary.js';

const USAGE = `usage: npm run sim -- [--quick] [--scenario ${SCENARIOS.join('|')}]`;
const APP_HOSTS = 3;
const SHARDS = 3;
/** Two replicas per shard: with three app hosts, one copy of every shard on each. */
const REPLICAS = 2;
const NODES_PER_MACHINE = 1;
const STORE_ENV = { MINISCALE_STORE_WAIT_REPLICAS: '1' };

interface Timing {
  quietMs: number;
  faultMs: number;
  users: number;
}
const QUICK: Timing = { quietMs: 10_000, faultMs: 8_000, users: 3 };
const FULL: Timing = { quietMs: 20_000, faultMs: 10_000, users: 4 };

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const chosen = values.scenario === undefined ? [...SCENARIOS] : [values.scenario as ScenarioName];
  if (!chosen.every((s) => SCENARIOS.includes(s))) {
    console.error(`unknown scenario "${values.scenario}"\n${USAGE}`);
    process.exit(2);
  }
  if (process.getuid?.() !== 0) throw new Error('the simulation creates network namespaces: run it as root');
  requireBuilt('sim');
  const timing = values.quick ? QUICK : FULL;

  const appNames = Array.from({ length: APP_HOSTS }, (_, i) => `app${i + 1}`);
  const net = createNetwork([...appNames, 'spare', 'gw']);
  const hosts = appNames.map((n) => net.hosts.get(n)!);
  console.log(`# hosts: ${net.plan.hosts.map((h) => `${h.name} ${h.ip}`).join(', ')}; clients on ${net.plan.bridgeIp}`);

  const redis = await startSimRedisCluster(hosts, tempDir('miniscale-sim-redis-'), SHARDS, REPLICAS);
  console.log(
    `# Redis Cluster: ${redis.nodes.map((n) => `${n.hostName}:${n.port} shard ${n.shard}${n.copy === 0 ? ' primary' : ' replica'}`).join(', ')}`,
  );
  const machines = new Map<string, AppMachine>();
  const startMachine = async (host: (typeof hosts)[number]) => {
    const m = await startAppMachine(host, redis.seedUrl, NODES_PER_MACHINE, STORE_ENV);
    machines.set(host.name, m);
    return m;
  };
  await Promise.all(hosts.map(startMachine));
  const gateway = await startGatewayMachine(net.hosts.get('gw')!, redis.seedUrl, STORE_ENV);
  const d: Deployment = {
    appHosts: hosts,
    spareHost: net.hosts.get('spare')!,
    redis,
    gateway,
    machines,
    startMachine,
    faultMs: timing.faultMs,
  };
  console.log(`# gateway ${gateway.url} over ${(await gateway.upstreams()).map((u) => u.url).join(', ')}`);

  const rows: ScenarioRow[] = [];
  for (const name of chosen) {
    const row = await runScenario(name, d, timing);
    rows.push(row);
    console.log(
      `# ${name}: ${row.requests} requests, ${row.failed} failed, ${row.ackedWritesLost} acknowledged writes lost, recovery ${row.recoverySeconds} s${row.missed.length ? ` — MISSED: ${row.missed.join('; ')}` : ''}`,
    );
  }
  await closeAgent();

  printMarkdownTable(
    ['scenario', 'requests', 'failed', 'acked writes', 'acked writes lost', 'recovery (s)', 'targets'],
    rows.map((r) => [
      r.name,
      String(r.requests),
      String(r.failed),
      String(r.ackedWrites),
      String(r.ackedWritesLost),
      r.recoverySeconds.toFixed(1),
      r.missed.length ? `missed: ${r.missed.join('; ')}` : 'met',
    ]),
    [false, true, true, true, true, true, false],
  );
  const file = path.join(REPO, 'bench/results/sim-latest.json');
  writeJson(file, {
    hosts: { app: APP_HOSTS, spare: 1, gateway: 1, nodesPerMachine: NODES_PER_MACHINE },
    store: { driver: 'redis-cluster', shards: SHARDS, replicasPerShard: REPLICAS, ...STORE_ENV },
    mode: values.quick ? 'quick' : 'full',
    scenarios: rows,
  });
  console.log(`# written to ${path.relative(REPO, file)}`);
  if (rows.some((r) => r.missed.length > 0)) process.exitCode = 1;
}

async function runScenario(name: ScenarioName, d: Deployment, t: Timing): Promise<ScenarioRow> {
  await prepare(name, d);
  const h = new History();
  const wl = await startWorkload({ url: d.gateway.url }, h, { users: t.users, workersPerUser: 2, counter: `sim-${name}-${Date.now()}` });
  let faultStart = 0;
  try {
    await sleep(t.quietMs);
    faultStart = h.now();
    await runNemesis(name, d, h);
    await sleep(t.quietMs);
  } finally {
    await wl.stop();
  }
  const final = await readFinalState({ url: d.gateway.url }, wl, 60_000);
  const row = summarize(name, h, check(h, final), faultStart);
  if (process.env.MINISCALE_SIM_KEEP || row.missed.length > 0) console.log(`# ${name}: op log in ${h.save(`sim-${name}`, { row })}`);
  return row;
}

runBenchmark(async () => {
  await main();
  // runBenchmark exits 0 on success: keep a missed target's exit code.
  if (process.exitCode === 1) throw new Error('targets missed (see the table)');
}, 30 * 60_000);
