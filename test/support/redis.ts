/**
 * Test helpers that start real Redis processes: one redis-server, or a whole Redis
 * Cluster through the real `miniscale redis-cluster` CLI. Every process is tracked by
 * PID and stopped by PID; an exit hook kills whatever a crashed test left behind, so a
 * failing run never leaks servers into the next one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freePortRange } from '../../src/core/ports.js';
import {
  CLUSTER_BUS_OFFSET,
  DEFAULT_PRIMARIES,
  isClusterNodeProcess,
  readClusterManifest,
  type ClusterNodeInfo,
  type RunningCluster,
} from '../../src/redis-launcher/index.js';
import { startRedisServer, stopPid, type RedisServerProcess } from '../../src/redis-launcher/redis-server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_SOURCE = path.join(REPO_ROOT, 'src', 'cli.ts');
/** Stopping a redis-server takes milliseconds; a few seconds means it is stuck. */
const TEST_STOP_GRACE_MS = 5_000;
const CLUSTER_UP_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------------------------------
// Safety net: servers a test forgot to stop (or could not, because it failed) are
// SIGKILLed when the test process exits. The servers run detached: a child that is not
// detached keeps Node's event loop alive, so a forgotten one would hang the test file
// forever instead of being cleaned up here.

/** pid → the check that it is still our process (a PID may be reused after it exits). */
const live = new Map<number, () => boolean>();
/** Cluster dirs not yet stopped: their manifest names nodes a test may have restarted. */
const liveClusterDirs = new Set<string>();
/** Data dirs of servers that were never stopped; removed after their servers are killed. */
const leftoverDirs = new Set<TempDir>();
process.on('exit', killLeftovers);
// Ctrl-C or a CI timeout ends the process without 'exit' listeners running: clean up,
// then re-raise the signal (this listener is gone by then) so the process still dies of it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killLeftovers();
    process.kill(process.pid, signal);
  });
}

function killLeftovers(): void {
  for (const dir of liveClusterDirs) {
    for (const node of safeManifestNodes(dir)) track(node.pid, () => isClusterNodeProcess(node.pid, node.port, dir));
  }
  liveClusterDirs.clear();
  for (const [pid, stillOurs] of live) {
    try {
      if (stillOurs()) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of leftoverDirs) {
    try {
      dir.cleanup();
    } catch {
      // a server killed a moment ago may still be closing files; the OS cleans tmp later
    }
  }
  leftoverDirs.clear();
}

function track(pid: number, stillOurs: () => boolean): void {
  live.set(pid, stillOurs);
}

function trackServer(server: RedisServerProcess): void {
  const { pid, port, dir } = server;
  // Matches the "redis-server 127.0.0.1:PORT" title of any redis-server, cluster or not.
  track(pid, () => isClusterNodeProcess(pid, port, dir));
}

function untrack(pid: number): void {
  live.delete(pid);
}

// ---------------------------------------------------------------------------------------

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  cleanup(): void;
}

/** A fresh directory under os.tmpdir(). */
export function tempDir(prefix = 'miniscale-'): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { path: dir, cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `miniscale ARGS` from the TypeScript source, so tests never depend on a build. */
export function runMiniscale(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI_SOURCE, ...args],
      { cwd: REPO_ROOT, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: err?.killed ? `${stderr}\n(killed after timeout)` : stderr });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The current process (a new one after restart). */
  readonly server: RedisServerProcess;
  dir: string;
  /**
   * Stops the server and starts it again on the same port and data dir. `hard` kills it
   * with SIGKILL (a crash), so only what reached the AOF survives.
   */
  restart(opts?: { hard?: boolean }): Promise<void>;
  /** Stops the server and deletes its data; safe to call twice. */
  stop(): Promise<void>;
}

export interface TestRedisOptions {
  /** Extra redis.conf directives, e.g. `{ appendfsync: 'always' }`. */
  config?: Record<string, string>;
}

/** One redis-server with appendonly on, on a free port, in its own temp dir. */
export async function startTestRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  const tmp = tempDir('miniscale-redis-');
  leftoverDirs.add(tmp);
  const config = { appendonly: 'yes', ...opts.config };
  let server: RedisServerProcess;
  try {
    server = await startOnFreePort(tmp.path, config);
  } catch (err) {
    tmp.cleanup();
    leftoverDirs.delete(tmp);
    throw err;
  }
  const launch = async (): Promise<void> => {
    server = await startRedisServer({ port: server.port, dir: tmp.path, config, detached: true });
    trackServer(server);
  };
  const halt = async (hard: boolean): Promise<void> => {
    if (hard) process.kill(server.pid, 'SIGKILL');
    await server.stop(TEST_STOP_GRACE_MS);
    untrack(server.pid);
  };
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${server.port}`,
    port: server.port,
    dir: tmp.path,
    get server() {
      return server;
    },
    async restart({ hard = false } = {}) {
      await halt(hard);
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt(false);
      tmp.cleanup();
      leftoverDirs.delete(tmp);
    },
  };
}

/** freePort() can race with another process grabbing the port; try a few. */
async function startOnFreePort(dir: string, config: Record<string, string>): Promise<RedisServerProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const server = await startRedisServer({ port: await freePort(), dir, config, detached: true });
      trackServer(server);
      return server;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------

export interface TestCluster {
  seedUrl: string;
  dir: string;
  cluster: RunningCluster;
  /** What `redis-cluster up` printed on stdout. */
  stdout: string;
  /** `redis-cluster down --purge`, then SIGKILL for anything that survived; safe to call twice. */
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** cluster-node-timeout; short so failover tests finish quickly. @default 2_000 */
  nodeTimeoutMs?: number;
  /** @default 1 */
  replicas?: number;
}

/** A real 3-primary Redis Cluster started by the real CLI on free ports. */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const tmp = tempDir('miniscale-cluster-');
  const dir = path.join(tmp.path, 'cluster');
  leftoverDirs.add(tmp);
  liveClusterDirs.add(dir);
  const replicas = opts.replicas ?? 1;
  let result: CliResult | undefined;
  try {
    // The range is free when picked but may be taken before redis binds it: retry.
    for (let attempt = 0; attempt < 3; attempt++) {
      const base = await freePortRange(DEFAULT_PRIMARIES * (1 + replicas), CLUSTER_BUS_OFFSET);
      const args = ['redis-cluster', 'up', '--dir', dir, '--port', String(base), '--replicas', String(replicas)];
      args.push('--node-timeout', String(opts.nodeTimeoutMs ?? 2_000));
      result = await runMiniscale(args, { timeoutMs: CLUSTER_UP_TIMEOUT_MS });
      if (result.code === 0 || !/already in use/.test(result.stderr)) break;
    }
    const seedUrl = /^redis:\/\/\S+$/m.exec(result?.stdout ?? '')?.[0];
    const cluster = readClusterManifest(dir);
    if (result?.code !== 0 || !seedUrl || !cluster) {
      throw new Error(`redis-cluster up failed (exit ${result?.code}): ${result?.stderr.trim()}`);
    }
    for (const node of cluster.nodes) track(node.pid, () => isClusterNodeProcess(node.pid, node.port, dir));
    return { seedUrl, dir, cluster, stdout: result.stdout, stop: once(() => stopCluster(dir, tmp, cluster.nodes)) };
  } catch (err) {
    await stopCluster(dir, tmp, safeManifestNodes(dir)).catch(() => undefined);
    throw err;
  }
}

/**
 * `down --purge` through the CLI, then, whatever it did, every PID this cluster ever had
 * (at start, and in the manifest now: a test may have restarted nodes) is stopped.
 */
async function stopCluster(dir: string, tmp: TempDir, initialNodes: ClusterNodeInfo[]): Promise<void> {
  const current = safeManifestNodes(dir);
  const down = await runMiniscale(['redis-cluster', 'down', '--dir', dir, '--purge']);
  for (const node of [...initialNodes, ...current]) {
    if (isClusterNodeProcess(node.pid, node.port, dir)) await stopPid(node.pid, TEST_STOP_GRACE_MS);
    untrack(node.pid);
  }
  tmp.cleanup();
  leftoverDirs.delete(tmp);
  liveClusterDirs.delete(dir);
  if (down.code !== 0) throw new Error(`redis-cluster down failed (exit ${down.code}): ${down.stderr.trim()}`);
}

function safeManifestNodes(dir: string): ClusterNodeInfo[] {
  try {
    return readClusterManifest(dir)?.nodes ?? [];
  } catch {
    return [];
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
