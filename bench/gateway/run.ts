/**
 * `npm run bench:gateway -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N]
 *    [--profile] [--only a,b,c] [--gateway-args="--workers 2 …"]`
 *
 * The built Miniscale gateway (`node dist/cli.js gateway`, p2c-EWMA) next to nginx
 * configured as the seed's load balancer with upstream keepalive (round-robin), on the
 * same three Node upstreams, with the same wrk (-t2 -c64 by default), in one run:
 *   (a) plain proxying: req/s, p50, p99;
 *   (b) one upstream 100 ms slower: client p99, p2c-EWMA vs round-robin;
 *   (c) one upstream SIGKILLed a third into the run: failed requests (non-2xx + socket errors).
 * Each scenario runs in rounds (3 by default, 1 with --quick); a round runs the gateway
 * and nginx back to back, in alternating order. Prints a markdown table of medians with
 * the median and range of the per-round gateway ÷ nginx ratios, and its targets
 * (docs/benchmarks.md); `--profile` then profiles the
 * gateway (--cpu-prof) under (a)'s load and says where its CPU time goes. Writes
 * bench/results/gateway-latest.json. Every process is stopped by PID (processes.ts),
 * and the whole run is cut off by a watchdog sized to the plan (../support/processes.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { LOAD_OPTIONS, parseCommandLine } from '../support/command-line.js';
import { printProfile, summarizeProfileDir, type ProfileSummary } from '../support/cpu-profile.js';
import { cpuBetween, cpuSnapshot, foreignShare, processCpu } from '../support/machine-load.js';
import { runBenchmark, stop } from '../support/processes.js';
import { writeJson } from '../support/table.js';
import { wrk, type WrkResult } from '../support/wrk.js';
import { gatewayBucket } from './profile.js';
import { setLatency, startGateway, startNginx, startUpstream, type Balancer, type Upstream } from './processes.js';
import { failed, printTable, printTargets, SCENARIOS, summarize, targets, type LbName, type Row, type Scenario } from './report.js';

const RESULTS = fileURLToPath(new URL('../results/gateway-latest.json', import.meta.url));
const USAGE =
  'usage: npm run bench:gateway -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N] [--profile] [--only a,b,c] [--gateway-args="--workers 2 ..."]';

const { values } = parseCommandLine(
  {
    ...LOAD_OPTIONS,
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: 'a,b,c' },
    'gateway-args': { type: 'string', default: '' },
  },
  USAGE,
);
const durationSec = Number(values.duration ?? (values.quick ? 3 : 10));
const warmSec = values.quick ? 1 : 2;
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const connections = Number(values.connections);
const threads = Number(values.threads);
for (const [name, v] of [
  ['--duration', durationSec],
  ['--rounds', rounds],
  ['--connections', connections],
  ['--threads', threads],
] as const) {
  if (!Number.isInteger(v) || v <= 0 || v > 600) {
    console.error(`${name} must be a positive integer\n${USAGE}`);
    process.exit(2);
  }
}
const only = new Set(values.only.split(',').map((s) => s.trim()));
if (only.size === 0 || [...only].some((s) => !(s in SCENARIOS))) {
  console.error(`--only takes a comma-separated subset of a,b,c\n${USAGE}`);
  process.exit(2);
}
const gatewayArgs = values['gateway-args'].split(/\s+/).filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = (lb: Balancer, seconds = durationSec): Promise<WrkResult> =>
  wrk({ url: `${lb.url}/`, threads, connections, durationSec: seconds, timeRequests: true });

/** Requests per upstream so far, from the gateway's admin API (keyed by the upstream's id). */
async function gatewayCounts(gw: Balancer, ups: Upstream[]): Promise<Record<string, number>> {
  const res = await request(`${gw.url}/_gateway/upstreams`);
  const body = (await res.body.json()) as { upstreams: Array<{ url: string; requests: number }> };
  return Object.fromEntries(body.upstreams.map((u) => [ups.find((x) => x.url === u.url)?.id ?? u.url, u.requests]));
}

async function main(): Promise<void> {
  const ups = await Promise.all(['u0', 'u1', 'u2'].map((id) => startUpstream(id)));
  let gw = await startGateway(ups, { extraArgs: gatewayArgs });
  const nginx = await startNginx(ups);
  console.log(`gateway ${gw.url} (dist/cli.js), nginx ${nginx.url}, upstreams ${ups.map((u) => u.url).join(' ')}`);
  console.log(
    `wrk -t${threads} -c${connections} -d${durationSec}s on ${os.cpus().length} cores; each scenario: ${rounds} round${rounds === 1 ? '' : 's'} of gateway and nginx back to back\n`,
  );
  const rows: Row[] = [];

  const measureOnce = async (scenario: Scenario, round: number, during?: () => Promise<void>) => {
    const both: Array<[Balancer, LbName]> = [
      [gw, 'miniscale gateway'],
      [nginx, 'nginx (keepalive)'],
    ];
    // Alternate who goes first, so neither always runs on the machine the other just warmed.
    for (const [lb, name] of round % 2 === 1 ? both : both.reverse()) {
      const before = cpuSnapshot();
      await sleep(1_000);
      const foreignCpu = foreignShare(before, cpuSnapshot());
      const counts = lb === gw ? await gatewayCounts(gw, ups) : undefined;
      const [result] = await Promise.all([load(lb), during?.()]);
      let shares: Record<string, number> | undefined;
      if (counts) {
        const after = await gatewayCounts(gw, ups);
        const delta = Object.fromEntries(Object.entries(after).map(([id, n]) => [id, n - (counts[id] ?? 0)]));
        const total = Object.values(delta).reduce((s, n) => s + n, 0);
        shares = Object.fromEntries(Object.entries(delta).map(([id, n]) => [id, total > 0 ? n / total : 0]));
      }
      rows.push({ scenario, lb: name, round, ...result, shares, foreignCpu });
      const busy =
        foreignCpu !== null && foreignCpu > 0.05 ? ` (other processes were using ${Math.round(foreignCpu * 100)} % of the CPU)` : '';
      console.log(
        `  ${scenario} · round ${round} · ${name}: ${Math.round(result.rps)} req/s, p50 ${result.times?.p50Ms.toFixed(2)} ms, p99 ${result.times?.p99Ms.toFixed(2)} ms (wrk ${result.p99Ms.toFixed(2)} ms), ${failed(result)} failed${busy}`,
      );
    }
  };
  const measure = async (scenario: Scenario, during?: () => Promise<void>) => {
    for (let round = 1; round <= rounds; round++) await measureOnce(scenario, round, during);
  };

  // Warm both (JIT, pools, keep-alive connections) before anything is measured.
  await load(gw, warmSec);
  await load(nginx, warmSec);

  if (only.has('a')) await measure(SCENARIOS.a);

  if (only.has('b')) {
    await setLatency(ups[2]!, 100);
    await measure(SCENARIOS.b);
    await setLatency(ups[2]!, 0);
  }

  if (only.has('c')) {
    await measure(SCENARIOS.c, async () => {
      await sleep((durationSec * 1000) / 3);
      await stop(ups[1]!.child, 'SIGKILL');
      // Back on the same port once this run is over, for the next load balancer.
      await sleep((durationSec * 1000 * 2) / 3 + 300);
      ups[1] = await startUpstream('u1', ups[1]!.port);
    });
  }

  console.log('');
  printTable(rows);
  const list = targets(rows);
  printTargets(list);
  console.log(
    '\nindicative: a 2-core box shared with wrk and the upstreams (and here with whatever else runs); re-run on a quiet machine.',
  );

  let profile: ProfileSummary | undefined;
  if (values.profile) {
    await stop(gw.child, 'SIGTERM');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-gw-prof-'));
    try {
      const spawned = performance.now();
      gw = await startGateway(ups, { cpuProfDir: dir, extraArgs: gatewayArgs });
      await load(gw, warmSec);
      // Only the measured run counts: start-up (module loading) and warm-up (JIT, new pool connections) are cut off.
      const fromMs = performance.now() - spawned;
      const cpu0 = processCpu(gw.child.pid!);
      const result = await load(gw);
      const toMs = performance.now() - spawned;
      const cpu = cpuBetween(cpu0, processCpu(gw.child.pid!));
      console.log(`\nprofiled run (a): ${Math.round(result.rps)} req/s under --cpu-prof`);
      await stop(gw.child, 'SIGTERM'); // V8 writes the profile as the process exits
      profile = summarizeProfileDir(dir, gatewayBucket, fromMs, toMs);
      printProfile(profile, "the gateway under (a)'s load", result.requests, cpu);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  writeJson(RESULTS, {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    gateway: 'node dist/cli.js gateway (p2c-ewma)',
    gatewayArgs,
    durationSec,
    rounds,
    connections,
    threads,
    summary: summarize(rows),
    rows,
    targets: list,
    profile,
  });
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS)}`);
}

// Each run: the load, a second of CPU sampling before it, the admin API calls and (c)'s restart.
const planMs = only.size * rounds * 2 * (durationSec + 3) * 1000 + (values.profile ? 2 * (durationSec + warmSec) * 1000 : 0);
runBenchmark(main, Math.max(5 * 60_000, planMs + 2 * 60_000));
