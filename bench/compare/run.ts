/**
 * `npm run bench -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N] [--only LIST]`
 *
 * Miniscale next to the stack it replaces, in one run on one machine, with one wrk
 * (-t2 -c64 by default, the seed-stack baseline's), a warm-up before each system's
 * first run of a workload, and ≥ 2 interleaved rounds (medians; `--quick`: one round,
 * 3 s runs). Systems (names.ts, systems.ts): miniscale (`miniscale up`,
 * one hop: node workers share the port, embedded store), miniscale-gateway (`up
 * --gateway`, embedded), miniscale-redis (one hop on the peers' redis-server), seed-php
 * (the seed as written), seed-php-keepalive (its best configuration), node-naive (kv.js
 * × 3 behind nginx). Scenarios: read, write, mixed (90/10), counter, leaderboard
 * (Miniscale only: the peers have no such API), slow-node (the third of three nodes
 * turns +100 ms slow after the warm-up and stays slow; Miniscale as `miniscale gateway`
 * over three nodes), kill-node (one node SIGKILLed a third into the run), and scaling
 * (`up [--gateway] --nodes 1|2|3`).
 *
 * `--quick` leaves out miniscale-redis and the scaling of `up --gateway`, which no
 * target depends on, to stay under 5 minutes.
 *
 * Some scenarios need longer runs than `--duration` for their target to mean anything,
 * and get them in quick runs too: slow-node ≥ 10 s (the gateway judges latency a second
 * at a time and ejects for 5 s, then its probe decides), kill-node ≥ 9 s (3 s before
 * the kill, then twice the 3 s recovery target).
 *
 * Prints one table (ratios to seed-php), the issue's targets, the scaling table; writes
 * every run to bench/results/latest.json and everything to bench/results/compare-latest.json.
 * Installs the peers' system packages when missing (root). Every process it starts is
 * stopped by PID (../support/processes.ts); the whole run is cut off after 40 minutes.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/core/logging.js';
import { startWechatEmulator } from '../../src/wechat-emulator/index.js';
import { startRedis } from '../api/processes.js';
import { LOAD_OPTIONS, parseCommandLine } from '../support/command-line.js';
import { requireBuilt, runBenchmark } from '../support/processes.js';
import { fmt, writeJson } from '../support/table.js';
import { describe, measure, warm, type LoadShape, type RunRow } from './measure.js';
import { MINISCALE, type Scenario, type Topology, type Workload } from './names.js';
import { ensurePackages } from './packages.js';
import {
  cpuContext,
  machineLoad,
  printScaling,
  printTable,
  printTargets,
  scalingRow,
  summarize,
  targets,
  type ScalingRow,
} from './report.js';
import { slowCount, slowMiniscale, slowPeers, slowShare, SLOW_MS, type SlowCount } from './slow-node.js';
import { startMiniscale, startPeers, type System } from './systems.js';

const LATEST = fileURLToPath(new URL('../results/latest.json', import.meta.url));
const DETAIL = fileURLToPath(new URL('../results/compare-latest.json', import.meta.url));
const PARTS = ['read', 'write', 'mixed', 'counter', 'leaderboard', 'slow-node', 'kill-node', 'scaling'] as const;
type Part = (typeof PARTS)[number];
const USAGE = `usage: npm run bench -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N] [--only ${PARTS.join(',')}]`;

const { values } = parseCommandLine({ ...LOAD_OPTIONS, only: { type: 'string' } }, USAGE);
const shape: LoadShape = {
  threads: Number(values.threads),
  connections: Number(values.connections),
  durationSec: Number(values.duration ?? (values.quick ? 3 : 10)),
  warmSec: values.quick ? 1 : 2,
};
const rounds = Number(values.rounds ?? (values.quick ? 1 : 2));
for (const [name, v, max] of [
  ['--duration', shape.durationSec, 120],
  ['--rounds', rounds, 5],
  ['--connections', shape.connections, 1000],
  ['--threads', shape.threads, 16],
] as const) {
  if (!Number.isInteger(v) || v <= 0 || v > max) usage(`${name} must be an integer from 1 to ${max}`);
}
const parts = new Set<Part>((values.only?.split(',') ?? PARTS) as Part[]);
for (const p of parts) if (!PARTS.includes(p)) usage(`--only takes a comma-separated list of ${PARTS.join(', ')}`);
/**
 * slow-node: the node turns slow under SLOW_ONSET_SEC of unmeasured load (the gateway
 * judges latency a second at a time and ejects the outlier), then each measured run is
 * long enough to include the end of that first ejection (5 s), when the gateway's probe
 * decides whether the node comes back. What the onset cost is reported apart.
 */
const SLOW_ONSET_SEC = 2;
const slowShape: LoadShape = { ...shape, durationSec: Math.max(shape.durationSec, 10) };
/** kill-node: 3 s before the kill (a third), then twice the 3 s recovery target. */
const killShape: LoadShape = { ...shape, durationSec: Math.max(shape.durationSec, 9) };

function addCount(sum: SlowCount, from: SlowCount, to: SlowCount): void {
  sum.slow += to.slow - from.slow;
  sum.total += to.total - from.total;
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const rows: RunRow[] = [];
function record(row: RunRow): void {
  rows.push(row);
  console.log(`  ${describe(row)}`);
}

/** Rounds of one workload over several systems, interleaved; each warmed before its first run. */
async function interleaved(systems: System[], scenario: Scenario, workload: Workload, nodesOf: (s: System) => number): Promise<void> {
  console.log(`\n${scenario}:`);
  for (const s of systems) await warm(s, workload, shape);
  for (let round = 1; round <= rounds; round++) {
    for (const s of systems) record(await measure(s, scenario, workload, shape, round, nodesOf(s)));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  ensurePackages();
  requireBuilt('bench');
  const redis = await startRedis();
  const peers = await startPeers(redis);
  const oneHop = await startMiniscale('miniscale', { topology: 'one-hop' });
  const gatewayed = await startMiniscale('miniscale-gateway', { topology: 'gateway' });
  const onRedis = values.quick ? [] : [await startMiniscale('miniscale-redis', { topology: 'one-hop', redis })];
  const all: System[] = [oneHop, gatewayed, ...onRedis, ...peers.systems];
  const nodesOf = (s: System) => ('up' in s ? (s as typeof oneHop).up.nodeCount : 3);
  console.log(`systems up in ${((Date.now() - started) / 1000).toFixed(0)} s: ${all.map((s) => `${s.name} ${s.url}`).join(', ')}`);
  if (values.quick) console.log('--quick: without miniscale-redis and the scaling of up --gateway (no target depends on them)');
  console.log(
    `wrk -t${shape.threads} -c${shape.connections} -d${shape.durationSec}s (warm-up ${shape.warmSec} s; slow-node ${slowShape.durationSec} s, kill-node ${killShape.durationSec} s), ` +
      `${rounds} round(s), ${os.cpus().length} cores, redis-server as the seed's (no persistence)`,
  );

  for (const workload of ['read', 'write', 'mixed'] as const) {
    if (parts.has(workload)) await interleaved(all, workload, workload, nodesOf);
  }
  for (const workload of ['counter', 'leaderboard'] as const) {
    if (parts.has(workload))
      await interleaved(
        all.filter((s) => MINISCALE.includes(s.name)),
        workload,
        workload,
        nodesOf,
      );
  }

  let slowNodeShare: { onset: number; measured: number } | null = null;
  if (parts.has('slow-node')) {
    const emulator = await startWechatEmulator({
      port: 0,
      appid: 'wxbenchcompare01',
      secret: 'bench-compare-secret',
      logger: createLogger({ component: 'wechat-emulator', level: 'warn' }),
    });
    const ours = await slowMiniscale({ api: emulator.url, appid: 'wxbenchcompare01', secret: 'bench-compare-secret' });
    const slow = [ours, ...(await slowPeers(peers))];
    console.log(
      `\nslow-node (three nodes, warmed fast; then the third answers ${SLOW_MS} ms late, through a delay proxy, ` +
        `for ${SLOW_ONSET_SEC} s of unmeasured load and every measured run after):`,
    );
    for (const s of slow) await warm(s, 'read', shape);
    // The gateway's own counters, over each onset and over the measured runs.
    const onset: SlowCount = { slow: 0, total: 0 };
    const measured: SlowCount = { slow: 0, total: 0 };
    const counted = async (s: System, sum: SlowCount, load: () => Promise<void>) => {
      const from = s === ours ? await slowCount(ours.url, ours.slowPort) : undefined;
      await load();
      if (from) addCount(sum, from, await slowCount(ours.url, ours.slowPort));
    };
    for (let round = 1; round <= rounds; round++) {
      for (const s of slow) {
        if (round === 1) {
          await s.setSlow(true);
          await counted(s, onset, () => warm(s, 'read', { ...shape, warmSec: SLOW_ONSET_SEC }));
        }
        await counted(s, measured, async () => {
          record(await measure(s, 'slow-node', 'read', slowShape, round, 3));
        });
      }
    }
    const onsetShare = slowShare(onset);
    console.log(
      `  Miniscale's gateway sent the slow node ${fmt(onsetShare * 100, 2)} % of the requests in the ${SLOW_ONSET_SEC} s after it turned slow (unmeasured)`,
    );
    slowNodeShare = { onset: onsetShare, measured: slowShare(measured) };
    console.log(`  and ${fmt(slowNodeShare.measured * 100, 2)} % of the measured runs' requests (nginx round-robin: 33 %)`);
    for (const s of slow) await s.stop();
    await emulator.close();
  }

  if (parts.has('kill-node')) {
    console.log(
      `\nkill-node (one node SIGKILLed a third into each ${killShape.durationSec} s run; the peers' is restarted after the run, Miniscale's by \`up\`):`,
    );
    for (let round = 1; round <= rounds; round++) {
      for (const s of all) {
        let after: (() => Promise<void>) | undefined;
        record(
          await measure(s, 'kill-node', 'read', killShape, round, nodesOf(s), {
            fault: async () => {
              const killed = await s.killOne();
              after = () => killed.afterRun();
              return {
                recoveryMs: MINISCALE.includes(s.name) ? killed.recovered : undefined,
                heldConnections: killed.heldConnections,
                beforeEnd: killed.beforeEnd,
              };
            },
          }),
        );
        await after?.();
      }
    }
  }

  const scaling: ScalingRow[] = [];
  const scalingRuns: RunRow[] = [];
  if (parts.has('scaling')) {
    for (const topology of (values.quick ? ['one-hop'] : ['one-hop', 'gateway']) satisfies Topology[]) {
      console.log(`\nscaling (miniscale up${topology === 'gateway' ? ' --gateway' : ''} --nodes N, embedded, read):`);
      for (const nodes of [1, 2, 3]) {
        const sys = await startMiniscale(topology === 'one-hop' ? 'miniscale' : 'miniscale-gateway', {
          topology,
          nodes,
          leaderboard: false,
        });
        await warm(sys, 'read', shape);
        const runs: RunRow[] = [];
        for (let round = 1; round <= rounds; round++) {
          const r = await measure(sys, 'read', 'read', shape, round, nodes);
          console.log(`  ${nodes} node(s): ${describe(r)}`);
          runs.push(r);
          scalingRuns.push(r);
        }
        await sys.stop();
        scaling.push(scalingRow(topology, nodes, runs));
      }
    }
  }

  // Stop the systems the way users do (SIGTERM: `up` drains and stops its nodes, which
  // live in their own process groups), so none outlives the benchmark; then redis.
  for (const s of all) await s.stop();
  await redis.stop();

  console.log('');
  const summaries = summarize(rows);
  printTable(summaries);
  const t = targets(summaries);
  printTargets(t);
  const cpu = cpuContext(summaries);
  if (cpu.length)
    console.log(
      `\nCPU per request of \`miniscale\` (every process of the system; steadier than req/s on a busy machine):\n${cpu.map((l) => `  ${l}`).join('\n')}`,
    );
  if (scaling.length) printScaling(scaling);
  console.log(`\n${machineLoad([...rows, ...scalingRuns])}`);
  console.log('whole stack and wrk on one machine: compare only numbers from the same run.');

  writeJson(
    LATEST,
    rows.map(({ system, scenario, reqPerSec, p50Ms, p99Ms, errors, ...rest }) => ({
      system,
      scenario,
      reqPerSec,
      p50Ms,
      p99Ms,
      errors,
      ...rest,
    })),
  );
  writeJson(DETAIL, {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
    wrk: { ...shape, rounds },
    wallSec: (Date.now() - started) / 1000,
    machineLoad: machineLoad([...rows, ...scalingRuns]),
    summaries,
    targets: t,
    slowNodeShare,
    scaling,
    rows,
  });
  console.log(
    `\nruns written to bench/results/latest.json, everything to bench/results/compare-latest.json (wall time ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}

runBenchmark(main, 40 * 60_000);
