/**
 * `npm run bench:api -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N]
 *    [--profile [--profile-target embedded-get|embedded-put|redis-get|redis-put] [--profile-dir DIR]]`
 *
 * The built API node (`node dist/cli.js node`) next to the naive Node + ioredis app of
 * the seed-stack baseline (bench/peers/seed-stack/node/kv.js), in one run, with the same
 * wrk (-t2 -c64 by default):
 *   - peer kv.js: GET /kv?key=K and SET (POST /kv/set), its own wrk scripts, on a
 *     redis-server configured as the seed stack's (no persistence);
 *   - Miniscale, embedded store: authenticated GET and PUT /v1/me/kv/:key;
 *   - Miniscale, redis store, on that same redis-server: the same two requests.
 * Rounds are interleaved (peer, embedded, redis; reads then writes) so drift on a shared
 * machine hits each alike. Every run is checked for errors: non-2xx answers (the node's
 * own /metrics count, and wrk's) and socket errors — a run with any is invalid.
 *
 * Prints a markdown table with ratios to the peer and its targets (embedded
 * GET ≥ 0.9× the peer's req/s at ≤ 1.1× its server CPU per request, both as the median
 * of per-round pairs); `--profile` then profiles one node (--cpu-prof) under
 * load and says where its CPU goes (`--profile-dir` keeps the .cpuprofile files, for
 * Chrome DevTools or `node bench/support/callers.ts`). Writes bench/results/api-latest.json. Every process
 * is stopped by PID (processes.ts), and the whole run is cut off after 5 minutes (../support/processes.ts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/core/logging.js';
import { startWechatEmulator } from '../../src/wechat-emulator/index.js';
import { LOAD_OPTIONS, parseCommandLine } from '../support/command-line.js';
import { printProfile, summarizeProfileDir, type ProfileSummary } from '../support/cpu-profile.js';
import { cpuBetween, cpuSnapshot, foreignShare, processCpu } from '../support/machine-load.js';
import { runBenchmark, tempDir } from '../support/processes.js';
import { writeJson } from '../support/table.js';
import { wrk, type WrkResult } from '../support/wrk.js';
import { apiBucket } from './profile.js';
import { cpuSeconds, startApiNode, startPeer, startRedis, type Server } from './processes.js';
import { EMBEDDED, PEER, REDIS, opLabel, printTable, printVerdict, summarize, verdict, type Op, type Row, type Subject } from './report.js';
import { answered, kvStatusCounts, login, peerScript, preloadNode, preloadPeer, PEER_KEYS, writeMiniscaleScripts } from './workload.js';

const RESULTS = fileURLToPath(new URL('../results/api-latest.json', import.meta.url));
const APPID = 'wxbenchappid0001';
const SECRET = 'bench-secret-0001';
const PROFILE_TARGETS = ['embedded-get', 'embedded-put', 'redis-get', 'redis-put'] as const;
type ProfileTarget = (typeof PROFILE_TARGETS)[number];
const USAGE = `usage: npm run bench:api -- [--quick] [--duration S] [--rounds N] [--connections N] [--threads N] [--profile [--profile-target ${PROFILE_TARGETS.join('|')}] [--profile-dir DIR]]`;

const { values } = parseCommandLine(
  {
    ...LOAD_OPTIONS,
    profile: { type: 'boolean', default: false },
    'profile-target': { type: 'string', default: 'embedded-get' },
    'profile-dir': { type: 'string' },
  },
  USAGE,
);
const durationSec = Number(values.duration ?? (values.quick ? 3 : 10));
const rounds = Number(values.rounds ?? (values.quick ? 1 : 2));
const warmSec = values.quick ? 1 : 2;
const connections = Number(values.connections);
const threads = Number(values.threads);
for (const [name, v, max] of [
  ['--duration', durationSec, 60],
  ['--rounds', rounds, 5],
  ['--connections', connections, 1000],
  ['--threads', threads, 16],
] as const) {
  if (!Number.isInteger(v) || v <= 0 || v > max) usage(`${name} must be an integer from 1 to ${max}`);
}
const profileTarget = values['profile-target'] as ProfileTarget;
if (!PROFILE_TARGETS.includes(profileTarget)) usage(`--profile-target must be one of ${PROFILE_TARGETS.join(', ')}`);

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Subjectish {
  subject: Subject;
  server: Server;
  /** wrk scripts per op; the peer's need NKEYS in the environment. */
  scripts: Record<Op, string>;
  env?: Record<string, string>;
  /** Counts answers through /metrics (Miniscale nodes). */
  counted: boolean;
}

async function main(): Promise<void> {
  const started = Date.now();
  const emulator = await startWechatEmulator({
    port: 0,
    appid: APPID,
    secret: SECRET,
    logger: createLogger({ component: 'wechat-emulator', level: 'warn' }),
  });
  const redis = await startRedis();
  const peer = await startPeer(redis.port);
  await preloadPeer(redis.port, peer.url);
  const nodeSettings = { wechatApi: emulator.url, appid: APPID, secret: SECRET };
  const dataDir = tempDir('miniscale-bench-api-data-');
  const embedded = await startApiNode('node (embedded)', { ...nodeSettings, storeArgs: ['--data', dataDir] });
  const onRedis = await startApiNode('node (redis)', { ...nodeSettings, storeArgs: ['--store', 'redis', '--store-url', redis.url] });
  const scriptDir = tempDir('miniscale-bench-api-lua-');
  const runId = `${process.pid}-${Date.now()}`;
  const subjects: Subjectish[] = [
    {
      subject: PEER,
      server: peer,
      scripts: { read: peerScript('get'), write: peerScript('put') },
      env: { NKEYS: String(PEER_KEYS) },
      counted: false,
    },
  ];
  for (const [subject, server] of [
    [EMBEDDED, embedded],
    [REDIS, onRedis],
  ] as Array<[Subject, Server]>) {
    const tokens = await login(server.url, `${runId}-${subject === EMBEDDED ? 'e' : 'r'}`);
    await preloadNode(server.url, tokens);
    const lua = writeMiniscaleScripts(mkdtempSync(path.join(scriptDir, 'node-')), tokens);
    subjects.push({ subject, server, scripts: { read: lua.get, write: lua.put }, counted: true });
  }
  console.log(
    `peer ${peer.url} (kv.js), node embedded ${embedded.url}, node redis ${onRedis.url} (dist/cli.js), redis-server ${redis.url} (appendonly no, save "")`,
  );
  console.log(
    `wrk -t${threads} -c${connections} -d${durationSec}s, ${rounds} round(s), on ${os.cpus().length} cores; rate limits off on the nodes (0), answers checked (set up in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );

  const load = (s: Subjectish, op: Op, seconds: number): Promise<WrkResult> =>
    wrk({ url: s.server.url, script: s.scripts[op], threads, connections, durationSec: seconds, env: s.env });

  // Warm every server and request (JIT, connections, LMDB pages) before anything is measured.
  for (const op of ['read', 'write'] as Op[]) for (const s of subjects) await load(s, op, warmSec);

  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const op of ['read', 'write'] as Op[]) {
      for (const s of subjects) {
        const before = cpuSnapshot();
        await sleep(1_000);
        const foreignCpu = foreignShare(before, cpuSnapshot());
        const counts = s.counted ? await kvStatusCounts(s.server.url) : undefined;
        const cpu0 = [cpuSeconds(s.server.pid), cpuSeconds(redis.pid)];
        const t0 = performance.now();
        const result = await load(s, op, durationSec);
        const wallSec = (performance.now() - t0) / 1000;
        const cpu1 = [cpuSeconds(s.server.pid), cpuSeconds(redis.pid)];
        const cores = (i: number) => (cpu0[i] != null && cpu1[i] != null ? (cpu1[i] - cpu0[i]) / wallSec : null);
        const served = counts ? answered(counts, await kvStatusCounts(s.server.url)) : undefined;
        const row: Row = {
          round,
          subject: s.subject,
          op,
          ...result,
          served,
          foreignCpu,
          serverCores: cores(0),
          redisCores: s.subject === EMBEDDED ? null : cores(1),
        };
        rows.push(row);
        const busy =
          foreignCpu !== null && foreignCpu > 0.05 ? ` (other processes: ${Math.round(foreignCpu * 100)} % of the CPU before the run)` : '';
        const errs = served ? `${served.non2xx} non-2xx of ${served.total} served` : `${result.badStatus} status ≥ 400`;
        console.log(
          `  round ${round} · ${s.subject} · ${opLabel(s.subject, op)}: ${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${errs}, ${result.socketErrors} socket errors${busy}`,
        );
      }
    }
  }

  console.log('');
  const summaries = summarize(rows);
  printTable(summaries, rounds);
  const v = verdict(rows);
  printVerdict(v, rows);
  console.log('\nindicative: one 2-core box shared by wrk, the server and redis (and whatever else runs); re-run on a quiet machine.');

  const profiles: Array<{ target: string; requests: number } & ProfileSummary> = [];
  if (values.profile) {
    // The node, then the peer, each restarted under --cpu-prof on the same data, warmed, then loaded.
    const [store, op] = profileTarget.split('-') as ['embedded' | 'redis', 'get' | 'put'];
    const opKey: Op = op === 'get' ? 'read' : 'write';
    const node = subjects.find((x) => x.subject === (store === 'embedded' ? EMBEDDED : REDIS))!;
    const storeArgs = store === 'embedded' ? ['--data', dataDir] : ['--store', 'redis', '--store-url', redis.url];
    const start = (dir: string) => startApiNode(`node (${store}, profiled)`, { ...nodeSettings, storeArgs, cpuProfDir: dir });
    profiles.push(await profileOne(node, start, opKey, `the API node (${store} store) under ${op.toUpperCase()} load`, profileTarget));
    const peerSubject = subjects.find((x) => x.subject === PEER)!;
    profiles.push(
      await profileOne(
        peerSubject,
        (dir) => startPeer(redis.port, { cpuProfDir: dir }),
        opKey,
        `the peer kv.js under ${op === 'get' ? 'GET' : 'SET'} load`,
        `peer-${op === 'get' ? 'get' : 'set'}`,
      ),
    );
  }

  writeJson(RESULTS, {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    wrk: { threads, connections, durationSec, warmSec, rounds },
    wallSec: (Date.now() - started) / 1000,
    verdict: v,
    summaries,
    rows,
    profiles,
  });
  console.log(`\nresults written to ${path.relative(process.cwd(), RESULTS)} (wall time ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  await emulator.close();
}

/**
 * Restarts `s`'s server under --cpu-prof (same data, so the scripts' tokens stay valid),
 * warms it, loads it, stops it (V8 writes the profile as the process exits) and
 * summarises only the measured run: start-up and warm-up are cut off.
 */
async function profileOne(
  s: Subjectish,
  start: (cpuProfDir: string) => Promise<Server>,
  op: Op,
  what: string,
  target: string,
): Promise<{ target: string; requests: number } & ProfileSummary> {
  await s.server.stop();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-api-prof-'));
  try {
    const spawned = performance.now();
    s.server = await start(dir);
    const load = (seconds: number) =>
      wrk({ url: s.server.url, script: s.scripts[op], threads, connections, durationSec: seconds, env: s.env });
    await load(warmSec);
    const fromMs = performance.now() - spawned;
    const cpu0 = processCpu(s.server.pid);
    const result = await load(durationSec);
    const toMs = performance.now() - spawned;
    const cpu = cpuBetween(cpu0, processCpu(s.server.pid));
    console.log(
      `\nprofiled run (${target}): ${Math.round(result.rps)} req/s under --cpu-prof, ${result.badStatus} status ≥ 400, ${result.socketErrors} socket errors`,
    );
    await s.server.stop();
    const summary = summarizeProfileDir(dir, apiBucket, fromMs, toMs);
    printProfile(summary, what, result.requests, cpu);
    return { target, requests: result.requests, ...summary };
  } finally {
    if (values['profile-dir']) {
      const keep = path.resolve(values['profile-dir']);
      mkdirSync(keep, { recursive: true });
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')))
        copyFileSync(path.join(dir, f), path.join(keep, `${target}-${f}`));
      console.log(`profile kept in ${keep}/${target}-*.cpuprofile`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
