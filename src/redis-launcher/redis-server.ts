/**
 * Starts and stops real redis-server processes from the system binary, for the local
 * Redis Cluster launcher and for tests. Processes are tracked and stopped by PID only.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MissingDependencyError } from '../core/errors.js';

export interface RedisServerOptions {
  port: number;
  /** Holds redis.conf, the data files and redis.log. */
  dir: string;
  /** Extra redis.conf directives, e.g. `{ 'cluster-enabled': 'yes' }`. */
  config?: Record<string, string>;
  /** Outlive this process (the CLI's `redis-cluster up` exits and leaves servers running). */
  detached?: boolean;
  /** @default 10_000 */
  readyTimeoutMs?: number;
}

export interface RedisServerProcess {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the PID is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function findBinary(name: string, installHint: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry; keep looking
    }
  }
  throw new MissingDependencyError(`${name} is not installed (${installHint})`);
}

export function redisServerBinary(): string {
  return findBinary('redis-server', 'apt-get install -y redis-server');
}

export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServerProcess> {
  const binary = redisServerBinary();
  mkdirSync(opts.dir, { recursive: true });
  const confPath = path.join(opts.dir, 'redis.conf');
  writeFileSync(confPath, renderConfig(opts));
  const log = openSync(path.join(opts.dir, 'redis.log'), 'a');
  const child = spawn(binary, [confPath], {
    cwd: opts.dir,
    detached: opts.detached ?? false,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (opts.detached) child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`redis-server on port ${opts.port} did not start`);
  writeFileSync(path.join(opts.dir, 'redis.pid'), `${pid}\n`);
  const server: RedisServerProcess = {
    port: opts.port,
    pid,
    dir: opts.dir,
    stop: (graceMs = 10_000) => stopPid(pid, graceMs),
  };
  try {
    await waitForPong(opts.port, opts.readyTimeoutMs ?? 10_000, () => isAlive(pid));
  } catch (err) {
    await server.stop(1_000);
    throw err;
  }
  return server;
}

function renderConfig(opts: RedisServerOptions): string {
  const base: Record<string, string> = {
    port: String(opts.port),
    bind: '127.0.0.1',
    dir: opts.dir,
    daemonize: 'no',
    appendonly: 'yes',
    appendfsync: 'everysec',
    save: '""',
    logfile: '""',
    'protected-mode': 'yes',
  };
  const all = { ...base, ...opts.config };
  return (
    Object.entries(all)
      .map(([k, v]) => `${k} ${v}`)
      .join('\n') + '\n'
  );
}

/** True while a process with this PID exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || isZombie(pid)) return;
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  while (isAlive(pid) && !isZombie(pid)) await sleep(20);
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** A child of ours that exited but was not yet reaped still answers signal 0. */
function isZombie(pid: number): boolean {
  try {
    // Linux only; elsewhere this is false and stopPid waits on isAlive alone.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Polls with a raw RESP PING until the server answers +PONG. */
export async function waitForPong(port: number, timeoutMs: number, stillRunning: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!stillRunning()) throw new Error(`redis-server on port ${port} exited during start-up (see its redis.log)`);
    if (await pingOnce(port)) return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

export function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}
