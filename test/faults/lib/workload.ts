/**
 * The clients: several users signed in through the WeChat emulator's dev codes, two
 * workers per user, each worker one operation at a time (a Jepsen "process"), all
 * through the gateway. A worker cycles through:
 *   put   `reg-WORKER` ← 1, 2, 3, … (unique, increasing: a later value is a later write)
 *   get   `reg-WORKER` (what the checker reads staleness and availability from)
 *   cas   the user's `cas` list: read it, append a unique id with If-Match on its version
 *         (both workers of a user race on it, so conflicts are real)
 *   incr  one app-wide counter shared by every worker
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { History, Op } from './history.js';
import { httpCall, type CallResult, type Target } from './http-client.js';

export interface WorkloadOptions {
  users: number;
  workersPerUser: number;
  /** App-wide counter name; fresh per run so it starts at 0. */
  counter: string;
}

export interface Worker {
  name: string;
  user: number;
  token: string;
  regKey: string;
}

export interface Workload {
  workers: Worker[];
  /** One token and openid per user (index = user). */
  tokens: string[];
  openids: string[];
  counter: string;
  /** Stops the workers and resolves once every one finished its current operation. */
  stop(): Promise<void>;
}

export const CAS_KEY = 'cas';
/** A CAS id is worker index × this + sequence number, so ids are unique per user. */
const CAS_ID_STRIDE = 1_000_000;

export async function login(target: Target, name: string, attempt = 0): Promise<{ token: string; openid: string }> {
  const res = await httpCall(target, 'POST', '/v1/auth/login', { json: { code: `dev:${name}:${process.pid}-${Date.now()}-${attempt}` } });
  if (res.status === 'ok') return res.body as { token: string; openid: string };
  if (attempt >= 20) throw new Error(`login as ${name} failed: ${res.http} ${res.error}`);
  await sleep(250);
  return login(target, name, attempt + 1);
}

export async function startWorkload(target: Target, history: History, o: WorkloadOptions): Promise<Workload> {
  const tokens: string[] = [];
  const openids: string[] = [];
  for (let u = 0; u < o.users; u++) {
    // Users are new in every run: scenarios may share a store (one Redis Cluster).
    const session = await login(target, `faults-${o.counter}-user-${u}`);
    tokens.push(session.token);
    openids.push(session.openid);
  }
  const workers: Worker[] = [];
  for (let u = 0; u < o.users; u++) {
    for (let w = 0; w < o.workersPerUser; w++) {
      const name = `u${u}w${w}`;
      workers.push({ name, user: u, token: tokens[u]!, regKey: `reg-${name}` });
    }
  }
  let running = true;
  const loops = workers.map((worker, index) => runWorker(target, history, worker, index, o.counter, () => running));
  return {
    workers,
    tokens,
    openids,
    counter: o.counter,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function runWorker(target: Target, h: History, w: Worker, index: number, counter: string, running: () => boolean): Promise<void> {
  let seq = 0;
  let casSeq = 0;
  const record = (type: Op['type'], key: string, start: number, res: CallResult, extra: Partial<Op> = {}): void => {
    h.add({
      type,
      worker: w.name,
      key,
      status: res.status,
      start,
      end: h.now(),
      http: res.http,
      error: res.error,
      nodeId: res.nodeId,
      ...extra,
    });
  };
  while (running()) {
    let start = h.now();
    const value = ++seq;
    record('put', w.regKey, start, await httpCall(target, 'PUT', `/v1/me/kv/${w.regKey}`, { token: w.token, json: { value } }), { value });

    start = h.now();
    const got = await httpCall(target, 'GET', `/v1/me/kv/${w.regKey}`, { token: w.token });
    const read = got.http === 200 ? (got.body as { value: number }).value : null;
    // 404 is a definite answer ("never written"): the read succeeded.
    record(
      'get',
      w.regKey,
      start,
      got.http === 404 ? { ...got, status: 'ok', error: undefined } : got,
      got.http === 200 || got.http === 404 ? { read } : {},
    );

    await casAppend(target, h, w, index * CAS_ID_STRIDE + ++casSeq, record);

    start = h.now();
    record('incr', counter, start, await httpCall(target, 'POST', `/v1/counters/${counter}`, { token: w.token, json: { by: 1 } }), {
      value: 1,
    });

    // A worker whose requests fail at once (everything down) would spin and starve the
    // restarting system of CPU; back off as a real client would.
    if (h.ops.slice(-12).some((op) => op.worker === w.name && op.status !== 'ok' && op.error !== 'VERSION_CONFLICT')) await sleep(100);
  }
}

type Recorder = (type: Op['type'], key: string, start: number, res: CallResult, extra?: Partial<Op>) => void;

/** Read the list and its version, then write list + [id] only if the version still holds. */
async function casAppend(target: Target, h: History, w: Worker, id: number, record: Recorder): Promise<void> {
  const start = h.now();
  const cur = await httpCall(target, 'GET', `/v1/me/kv/${CAS_KEY}`, { token: w.token });
  let list: number[];
  let precondition: Record<string, string>;
  if (cur.http === 200 && cur.etag) {
    list = (cur.body as { value: number[] }).value;
    precondition = { 'if-match': cur.etag };
  } else if (cur.http === 404) {
    list = [];
    precondition = { 'if-none-match': '*' };
  } else {
    // The read failed: no write was attempted, so nothing to check; recorded as a failed CAS.
    record('cas', CAS_KEY, start, { ...cur, status: 'fail' }, { value: id, error: `read: ${cur.error}` });
    return;
  }
  const res = await httpCall(target, 'PUT', `/v1/me/kv/${CAS_KEY}`, {
    token: w.token,
    json: { value: [...list, id] },
    headers: precondition,
  });
  record('cas', CAS_KEY, start, res, { value: id, read: list });
}

export interface FinalState {
  /** worker → its register's value (null: absent). */
  registers: Map<string, number | null>;
  /** user → the CAS list. */
  casLists: Map<number, number[]>;
  counter: number;
}

/** Reads every key once the faults are healed, retrying each read until it answers. */
export async function readFinalState(target: Target, wl: Workload, timeoutMs = 30_000): Promise<FinalState> {
  const deadline = Date.now() + timeoutMs;
  const read = async (token: string, urlPath: string): Promise<CallResult> => {
    for (;;) {
      const res = await httpCall(target, 'GET', urlPath, { token });
      if (res.http === 200 || res.http === 404) return res;
      if (Date.now() > deadline) throw new Error(`final read of ${urlPath}: ${res.http ?? ''} ${res.error}`);
      await sleep(200);
    }
  };
  const registers = new Map<string, number | null>();
  for (const w of wl.workers) {
    const res = await read(w.token, `/v1/me/kv/${w.regKey}`);
    registers.set(w.name, res.http === 200 ? (res.body as { value: number }).value : null);
  }
  const casLists = new Map<number, number[]>();
  for (const [user, token] of wl.tokens.entries()) {
    const res = await read(token, `/v1/me/kv/${CAS_KEY}`);
    casLists.set(user, res.http === 200 ? (res.body as { value: number[] }).value : []);
  }
  const ctr = await read(wl.tokens[0]!, `/v1/counters/${wl.counter}`);
  return { registers, casLists, counter: (ctr.body as { value: number }).value };
}
