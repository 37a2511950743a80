/**
 * Starts real API node processes (`miniscale node`, run from source through tsx)
 * against one store, plus the WeChat emulator, for black-box HTTP tests. Every
 * process is tracked by PID and stopped in `stop()`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { startWechatEmulator } from '../../src/wechat-emulator/index.js';
import { listening as listeningLine, spawnTs } from './processes.js';

export const TEST_APPID = 'wxtestappid00001';
export const TEST_SECRET = 'test-secret-0001';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';

export interface NodeHandle {
  url: string;
  nodeId: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM (drain), resolving when the process has exited. */
  terminate(): Promise<number | null>;
}

export interface ApiTopology {
  nodes: NodeHandle[];
  emulatorUrl: string;
  dataDir: string;
  startNode(extraEnv?: Record<string, string>): Promise<NodeHandle>;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  nodes?: number;
  /** e.g. ['--store', 'redis', '--store-url', url]; default: embedded in a temp data dir. */
  storeArgs?: string[];
  env?: Record<string, string>;
  emulator?: { tokenTtlSec?: number };
}

export async function startApiTopology(opts: TopologyOptions = {}): Promise<ApiTopology> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-api-'));
  const emulator = await startWechatEmulator({ port: 0, appid: TEST_APPID, secret: TEST_SECRET, ...(opts.emulator ?? {}) });
  const nodes: NodeHandle[] = [];
  const all: NodeHandle[] = [];
  const env = {
    MINISCALE_WECHAT_APPID: TEST_APPID,
    MINISCALE_WECHAT_SECRET: TEST_SECRET,
    MINISCALE_WECHAT_API: emulator.url,
    MINISCALE_ADMIN_KEY: TEST_ADMIN_KEY,
    MINISCALE_LOG_LEVEL: 'warn',
    MINISCALE_DRAIN_DELAY_MS: '300',
    ...opts.env,
  };
  const startNode = async (extraEnv: Record<string, string> = {}) => {
    const storeArgs = opts.storeArgs ?? ['--data', dataDir];
    const node = await spawnNode(['--port', '0', ...storeArgs], { ...env, ...extraEnv });
    all.push(node);
    return node;
  };
  const stop = async () => {
    await Promise.all(all.map((n) => n.terminate()));
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Started together on purpose: tests rely on nodes racing at start-up (access_token).
    nodes.push(...(await Promise.all(Array.from({ length: opts.nodes ?? 2 }, () => startNode()))));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, emulatorUrl: emulator.url, dataDir, startNode, stop };
}

async function spawnNode(args: string[], env: Record<string, string>): Promise<NodeHandle> {
  const child = spawnTs('src/cli.ts', ['node', ...args], env);
  const listening = await listeningLine<{ url: string; nodeId: string }>(child, 'node');
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    ...listening,
    pid: child.pid!,
    child,
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

/** One HTTP call; JSON bodies are sent and parsed for you. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  urlPath: string,
  opts: { token?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(`${base}${urlPath}`, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
}

let loginSeq = 0;
/** Signs in as user NAME through the emulator's `dev:NAME:…` codes. */
export async function login(base: string, name: string): Promise<{ token: string; openid: string; expiresAt: string }> {
  const res = await call<{ token: string; openid: string; expiresAt: string }>(base, 'POST', '/v1/auth/login', {
    json: { code: `dev:${name}:${process.pid}-${loginSeq++}` },
  });
  if (res.status !== 200) throw new Error(`login as ${name} failed: ${res.status} ${res.text}`);
  return res.body;
}
