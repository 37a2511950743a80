/**
 * Every process a benchmark starts, tracked so that none outlives it. Each child runs in
 * its own process group (`detached`), so stopping it by its PID also stops what it
 * forked (nginx's workers). Everything still running is SIGKILLed, and every temp dir
 * removed, when the benchmark ends: normally, on an error, on Ctrl-C / SIGTERM, or on
 * any other exit. Nothing is ever stopped by name.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI: benchmarks measure what ships, with no TypeScript loader in the measured process. */
export const CLI = path.join(REPO, 'dist/cli.js');
/** The peer, vendored unchanged in bench/peers/seed-stack (see its README). */
export const SEED_STACK = path.join(REPO, 'bench/peers/seed-stack');

const live = new Set<ChildProcess>();
/** Processes started by code that is not ours to spawn (redis-server through src/redis-launcher). */
const livePids = new Set<number>();
const tempDirs = new Set<string>();

/** SIGKILLs every process (group) we started and removes our temp dirs. Synchronous: safe in 'exit'. */
export function stopAll(): void {
  for (const child of live) signalGroup(child, 'SIGKILL');
  live.clear();
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the benchmark started`);
    stopAll();
    process.exit(130);
  });
}

/**
 * Runs `main`, then stops everything and exits: 0 when it resolved, 1 when it threw or
 * ran over `limitMs` (a watchdog, so a hung server cannot keep a benchmark going).
 */
export function runBenchmark(main: () => Promise<void>, limitMs = 5 * 60_000): void {
  const watchdog = setTimeout(() => {
    console.error(`the benchmark ran over ${limitMs / 60_000} minutes: stopping everything it started`);
    stopAll();
    process.exit(1);
  }, limitMs);
  watchdog.unref();
  main().then(
    () => {
      stopAll();
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      stopAll();
      process.exit(1);
    },
  );
}

/** A temp dir removed with everything else at the end. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Tracks a PID this module did not spawn; `untrackPid` once it has been stopped. */
export function trackPid(pid: number): void {
  livePids.add(pid);
}
export function untrackPid(pid: number): void {
  livePids.delete(pid);
}

export function requireBuilt(script: string): void {
  if (!existsSync(CLI)) throw new Error(`dist/cli.js is missing: run \`npm run build\` first (npm run ${script} does)`);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the group we created with detached: the child and its forks
  } catch {
    child.kill(signal);
  }
}

export function startTracked(command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Sends `signal` to the child's group and waits for it to exit (SIGKILL after `graceMs`). */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  signalGroup(child, signal);
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or `timeoutMs` passes. */
export function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let found = false;
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (found) return; // keep draining the pipe, keep nothing
      out += d.toString();
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) {
        found = true;
        out = '';
        clearTimeout(timer);
        resolve(line);
      }
    });
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}): ${err}`));
    });
  });
}
