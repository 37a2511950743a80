/**
 * Where a process's CPU goes, from a V8 `--cpu-prof` profile: the samples taken while
 * the measured load ran (start-up and warm-up cut off, idle left out), grouped into
 * buckets a reader can act on. Two views per bucket:
 *  - self: time in the bucket's own functions;
 *  - on stack: samples with any of the bucket's functions on the stack (self plus what
 *    they called synchronously — after an `await`, the rest of an async function runs
 *    from a microtask and is charged to the frame it resumes in).
 * Each benchmark says which bucket a frame belongs to (a `Bucketing`); the buckets every
 * Node server has are in `commonBucket`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs between samples; the first is from the profile's start. */
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Time on CPU in the measured window (idle excluded, preemption gaps capped). */
  busyMs: number;
  windowMs: number;
  /** [bucket, self ms, on-stack ms] */
  buckets: Array<[string, number, number]>;
  top: Array<[string, number]>;
  ours: Array<[string, number]>;
}

/** The bucket of a frame (null: none, e.g. the root); names starting with "ours" are our code. */
export type Bucketing = (f: CallFrame) => string | null;

const SYSCALLS = new Set(['writev', 'writeLatin1String', 'writeUtf8String', 'writeBuffer', 'writeAsciiString', 'close', 'shutdown']);
export const SOCKET_WRITES = 'socket writes (write/writev calls)';
export const OTHER_NATIVE = 'other native (JSON, strings, buffers, microtasks)';

/**
 * Buckets of any Node server, for the frames a benchmark's own rules leave. "socket
 * writes" is the time V8 saw inside write/writev: on loopback that includes the kernel
 * delivering the bytes to the receiving socket and waking its reader.
 */
export function commonBucket(f: CallFrame): string | null {
  const { functionName: name, url } = f;
  if (name === '(root)') return null;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/libuv native (incl. llhttp parser, epoll)';
  if (!url && SYSCALLS.has(name)) return SOCKET_WRITES;
  if (/\/node_modules\/(pino|sonic-boom|thread-stream|on-exit-leak-free|quick-format-unescaped|fast-redact)/.test(url))
    return 'pino (logging)';
  if (/\/node_modules\/(prom-client|tdigest|bintrees)\//.test(url)) return 'prom-client (per-request metrics)';
  if (/^node:(_http|internal\/http)/.test(url)) return 'node http server (JS side: parser callbacks, ServerResponse)';
  if (url.startsWith('node:')) return 'node core (net, streams, events, timers, ticks)';
  if (url.includes('/node_modules/')) return `other package (${/\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]})`;
  return OTHER_NATIVE;
}

/**
 * Summarises the profile in `dir`, counting only samples taken from `fromMs` after the
 * process started (the profiler starts with it) until `toMs`.
 */
export function summarizeProfileDir(dir: string, bucketOf: Bucketing, fromMs = 0, toMs = Infinity): ProfileSummary {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, bucketOf, fromMs, toMs);
}

export function summarize(p: Profile, bucketOf: Bucketing, fromMs = 0, toMs = Infinity): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The buckets on each node's stack, computed once per node.
  const stackBuckets = new Map<number, Set<string>>();
  const bucketsOnStack = (id: number): Set<string> => {
    let set = stackBuckets.get(id);
    if (set) return set;
    const up = parent.get(id);
    set = new Set(up === undefined ? [] : bucketsOnStack(up));
    const bucket = bucketOf(byId.get(id)!.callFrame);
    if (bucket) set.add(bucket);
    stackBuckets.set(id, set);
    return set;
  };
  const self = new Map<string, number>();
  const onStack = new Map<string, number>();
  const fns = new Map<string, number>();
  const ours = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  // V8 charges the wall time since the previous sample to the next one. When the OS
  // preempts the process (2 cores shared with wrk and the servers), that gap is other
  // processes' CPU time: count at most 2 sampling intervals.
  const sortedDeltas = [...p.timeDeltas].sort((a, b) => a - b);
  const capMs = (2 * (sortedDeltas[Math.floor(sortedDeltas.length / 2)] ?? 1000)) / 1000;
  let t = 0;
  let busy = 0;
  let first = Infinity;
  let last = 0;
  p.samples.forEach((id, i) => {
    const wall = (p.timeDeltas[i] ?? 0) / 1000;
    t += wall;
    if (t < fromMs || t > toMs) return;
    first = Math.min(first, t);
    last = t;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') return;
    const dt = Math.min(wall, capMs);
    busy += dt;
    const bucket = bucketOf(f) ?? OTHER_NATIVE;
    add(self, bucket, dt);
    for (const b of bucketsOnStack(id)) add(onStack, b, dt);
    const name = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`.trim();
    add(fns, name, dt);
    if (bucket.startsWith('ours')) add(ours, name, dt);
  });
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  const buckets = [...onStack.keys()]
    .map((b): [string, number, number] => [b, self.get(b) ?? 0, onStack.get(b) ?? 0])
    .sort((a, b) => b[1] - a[1] || b[2] - a[2]);
  return { busyMs: busy, windowMs: Math.max(0, last - first), buckets, top: sorted(fns, 20), ours: sorted(ours, 12) };
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

/**
 * Prints the buckets as shares of the sampled CPU time and, given the requests answered
 * in the window, as µs per request. With `proc` (the kernel's own user/system split for
 * the same window) it says how far to trust the "socket writes" bucket: V8's sampler
 * charges far more samples to write/writev than the kernel charges system time (on this
 * machine ~50-80 % of samples against ~25-35 % system time), so the user-space buckets
 * are also shown as shares of the samples outside those calls.
 */
export function printProfile(s: ProfileSummary, what: string, requests: number, proc?: { userSec: number; sysSec: number } | null): void {
  const pct = (ms: number, of = s.busyMs) => `${((100 * ms) / of).toFixed(1)} %`;
  const us = (ms: number) => (requests > 0 ? ((1000 * ms) / requests).toFixed(1) : 'n/a');
  const writesMs = s.buckets.find(([name]) => name === SOCKET_WRITES)?.[1] ?? 0;
  const userMs = s.busyMs - writesMs;
  console.log(
    `\nprofile of ${what} (--cpu-prof; ${Math.round(s.busyMs)} ms on CPU in a ${Math.round(s.windowMs)} ms window, idle excluded; ${us(s.busyMs)} µs of CPU per request)`,
  );
  if (proc && requests > 0) {
    const total = proc.userSec + proc.sysSec;
    console.log(
      `the kernel's account of the same run (/proc): ${((proc.userSec * 1e6) / requests).toFixed(1)} µs user + ${((proc.sysSec * 1e6) / requests).toFixed(1)} µs system per request (system ${((100 * proc.sysSec) / total).toFixed(0)} %); V8 put ${pct(writesMs)} of its samples in write calls`,
    );
  }
  console.log('\n| where | self | µs/req (sampled) | share outside write calls | on stack |\n|---|---:|---:|---:|---:|');
  for (const [name, selfMs, stackMs] of s.buckets) {
    console.log(`| ${name} | ${pct(selfMs)} | ${us(selfMs)} | ${name === SOCKET_WRITES ? '—' : pct(selfMs, userMs)} | ${pct(stackMs)} |`);
  }
  console.log('\ntop functions (self time):');
  for (const [name, ms] of s.top) console.log(`  ${pct(ms).padStart(7)}  ${name}`);
  if (s.ours.length === 0) return;
  console.log('our own functions (self time):');
  for (const [name, ms] of s.ours) console.log(`  ${pct(ms).padStart(7)}  ${name}`);
}
