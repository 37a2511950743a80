/**
 * The processes of the API benchmark, all on free 127.0.0.1 ports: one redis-server
 * (configured as the seed stack's: no persistence), the BUILT API node
 * (`node dist/cli.js node`, what ships — no tsx loader in the measured process) on the
 * embedded store and on that redis, and the peer `kv.js` of bench/peers/seed-stack.
 *
 * Each child runs in its own process group (`detached`), is stopped by its PID, and is
 * SIGKILLed if still running when the benchmark ends — normally, on an error, on
 * Ctrl-C / SIGTERM, or on any other exit. Temp dirs go with them.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/core/ports.js';
import { startRedisServer } from '../../src/redis-launcher/redis-server.js';
import { processCpu } from '../support/machine-load.js';
import {
  CLI,
  REPO,
  SEED_STACK,
  requireBuilt,
  startTracked,
  stop,
  tempDir,
  trackPid,
  untrackPid,
  waitForLine,
} from '../support/processes.js';

export interface Server {
  name: string;
  url: string;
  pid: number;
  child?: ChildProcess;
  stop(): Promise<void>;
}

/**
 * redis-server as the seed stack runs it (conf/redis.conf.tpl): `save ""`, `appendonly no`.
 * The peer and Miniscale's redis store both use this one instance, one after the other.
 */
export async function startRedis(): Promise<Server & { port: number }> {
  const dir = tempDir('miniscale-bench-api-redis-');
  const port = await freePort();
  const server = await startRedisServer({ port, dir, config: { appendonly: 'no', save: '""' }, detached: true });
  trackPid(server.pid);
  return {
    name: 'redis-server',
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: server.pid,
    stop: async () => {
      await server.stop(5_000);
      untrackPid(server.pid);
    },
  };
}

export interface NodeSettings {
  /** e.g. ['--store', 'redis', '--store-url', url]; default: embedded in a fresh temp data dir. */
  storeArgs?: string[];
  wechatApi: string;
  appid: string;
  secret: string;
  cpuProfDir?: string;
}

/**
 * The built API node. Every rate limit is off (0): wrk's 64 connections come from one
 * IP and a handful of users, and a 429 would make the run invalid, not slower.
 */
export async function startApiNode(name: string, s: NodeSettings): Promise<Server> {
  requireBuilt('bench:api');
  const port = await freePort();
  const storeArgs = s.storeArgs ?? ['--data', tempDir('miniscale-bench-api-data-')];
  const prof = s.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${s.cpuProfDir}`] : [];
  const child = startTracked(process.execPath, [...prof, CLI, 'node', '--port', String(port), ...storeArgs], {
    cwd: REPO,
    env: {
      ...process.env,
      MINISCALE_WECHAT_APPID: s.appid,
      MINISCALE_WECHAT_SECRET: s.secret,
      MINISCALE_WECHAT_API: s.wechatApi,
      MINISCALE_RATE_LIMIT_USER: '0',
      MINISCALE_RATE_LIMIT_IP: '0',
      MINISCALE_RATE_LIMIT_LOGIN: '0',
      MINISCALE_LOG_LEVEL: 'warn',
      MINISCALE_DRAIN_DELAY_MS: '0',
    },
  });
  const line = await waitForLine(child, /"event":"listening"/, name);
  const { url } = JSON.parse(line) as { url: string };
  return { name, url, pid: child.pid!, child, stop: () => stop(child, 'SIGTERM') };
}

/**
 * The peer, unchanged: bench/peers/seed-stack/node/kv.js. It needs ioredis; when its
 * folder has no node_modules of its own, it takes ours through NODE_PATH (the same
 * ioredis major the seed stack pins).
 */
export async function startPeer(redisPort: number, opts: { cpuProfDir?: string; port?: number } = {}): Promise<Server> {
  const script = path.join(SEED_STACK, 'node/kv.js');
  if (!existsSync(script)) throw new Error(`the peer is missing: ${script}`);
  const port = opts.port ?? (await freePort());
  const ownModules = existsSync(path.join(SEED_STACK, 'node/node_modules/ioredis'));
  const prof: string[] = [];
  if (opts.cpuProfDir) {
    // V8 writes a --cpu-prof profile only on a normal exit; kv.js has no SIGTERM handler,
    // so a preloaded one-liner turns SIGTERM into process.exit(). kv.js itself is unchanged.
    const exitOnTerm = path.join(opts.cpuProfDir, 'exit-on-sigterm.cjs');
    writeFileSync(exitOnTerm, "process.once('SIGTERM', () => process.exit(0));\n");
    prof.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, '--require', exitOnTerm);
  }
  const child = startTracked(process.execPath, [...prof, script], {
    cwd: path.dirname(script),
    env: {
      ...process.env,
      PORT: String(port),
      REDIS_PORT: String(redisPort),
      ...(ownModules ? {} : { NODE_PATH: path.join(REPO, 'node_modules') }),
    },
  });
  await waitForLine(child, /kv listening/, 'peer kv.js');
  return { name: 'peer kv.js', url: `http://127.0.0.1:${port}`, pid: child.pid!, child, stop: () => stop(child, 'SIGTERM') };
}

/** CPU seconds (user + system) a live process has used so far; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  const cpu = processCpu(pid);
  return cpu ? cpu.userSec + cpu.sysSec : null;
}
