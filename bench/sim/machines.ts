/**
 * What runs on the simulated hosts, started exactly as an operator would on real
 * machines: `miniscale up --advertise http://HOST_IP:8080` on each app host and
 * `miniscale gateway --discover` on the gateway host, both on the Redis Cluster's seeds.
 * The built CLI (dist/) runs, as in every benchmark: what ships, with no TypeScript
 * loader in the measured processes.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { CLI, startTracked, stop, tempDir, waitForLine } from '../support/processes.js';
import type { Host } from './network.js';

/** The port every app host serves on, and the gateway's: one address per host, as on real machines. */
export const APP_PORT = 8080;
export const SIM_ADMIN_KEY = 'sim-admin-key-0123456789abcdef';

/** Shared by every host: one admin key; no rate limits (the load is a few users on one IP, on purpose). */
function simEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MINISCALE_ADMIN_KEY: SIM_ADMIN_KEY,
    MINISCALE_RATE_LIMIT_USER: '0',
    MINISCALE_RATE_LIMIT_IP: '0',
    MINISCALE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** With MINISCALE_SIM_LOGS=DIR, a process's output is also appended to DIR/HOST-WHAT.log (for a post-mortem). */
function keepLog(child: ChildProcess, host: Host, what: string): void {
  const dir = process.env.MINISCALE_SIM_LOGS;
  if (!dir) return;
  const file = createWriteStream(path.join(dir, `${host.name}-${what}.log`), { flags: 'a' });
  child.stdout?.pipe(file, { end: false });
  child.stderr?.pipe(file, { end: false });
}

export interface AppMachine {
  host: Host;
  url: string;
  child: ChildProcess;
}

/** `miniscale up` on `host`, registered under its own address; resolves once it serves. */
export async function startAppMachine(host: Host, seedUrl: string, nodes: number, env: NodeJS.ProcessEnv): Promise<AppMachine> {
  const url = `http://${host.ip}:${APP_PORT}`;
  const [cmd, args] = host.exec(process.execPath, [
    CLI,
    'up',
    '--host',
    host.ip,
    '--port',
    String(APP_PORT),
    '--nodes',
    String(nodes),
    '--store',
    'redis-cluster',
    '--store-url',
    seedUrl,
    '--advertise',
    url,
    '--data',
    tempDir(`miniscale-sim-${host.name}-`),
  ]);
  const child = startTracked(cmd, args, { env: simEnv(env) });
  keepLog(child, host, 'up');
  await waitForLine(child, /Miniscale is up/, `miniscale up on ${host.name}`, 60_000);
  return { host, url, child };
}

/** SIGTERM, as systemd stops a unit: the machine marks itself draining, drains, deregisters. */
export async function stopAppMachine(m: AppMachine): Promise<void> {
  await stop(m.child, 'SIGTERM', 20_000);
}

export interface GatewayMachine {
  host: Host;
  url: string;
  child: ChildProcess;
  /** The gateway's view of its upstreams (the admin API, with the admin key: the caller is not on loopback). */
  upstreams(): Promise<{ url: string; state: string; inflight: number; requests: number }[]>;
  /** POST /_gateway/upstreams/:ref/drain */
  drain(ref: string): Promise<void>;
}

export async function startGatewayMachine(host: Host, seedUrl: string, env: NodeJS.ProcessEnv): Promise<GatewayMachine> {
  const [cmd, args] = host.exec(process.execPath, [
    CLI,
    'gateway',
    '--host',
    host.ip,
    '--port',
    String(APP_PORT),
    '--discover',
    '--store',
    'redis-cluster',
    '--store-url',
    seedUrl,
    '--discover-interval',
    '500',
    '--health-interval',
    '500',
    '--no-access-log',
    // A node answers within its store's 2 s op timeout; one that has not in 5 s is cut off.
    '--try-timeout',
    '5000',
  ]);
  const child = startTracked(cmd, args, { env: simEnv({ MINISCALE_LOG_LEVEL: 'info', ...env }) });
  keepLog(child, host, 'gateway');
  await waitForLine(child, /"event":"listening"/, `miniscale gateway on ${host.name}`, 60_000);
  const url = `http://${host.ip}:${APP_PORT}`;
  const admin = async (method: 'GET' | 'POST', path: string): Promise<unknown> => {
    const res = await request(`${url}/_gateway/${path}`, {
      method,
      headers: { authorization: `Bearer ${SIM_ADMIN_KEY}` },
      reset: true,
      headersTimeout: 5_000,
    });
    const body = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`${method} /_gateway/${path}: ${res.statusCode} ${JSON.stringify(body)}`);
    return body;
  };
  return {
    host,
    url,
    child,
    upstreams: async () =>
      ((await admin('GET', 'upstreams')) as { upstreams: { url: string; state: string; inflight: number; requests: number }[] }).upstreams,
    drain: async (ref) => {
      await admin('POST', `upstreams/${encodeURIComponent(ref)}/drain`);
    },
  };
}
