/**
 * A local Redis Cluster for development and tests: redis-server processes that outlive
 * the CLI, formed into one cluster by `redis-cli --cluster create`. A manifest
 * (DIR/cluster.json) records every PID so `down` stops exactly what `up` started, and
 * nothing is ever signalled by name.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../errors.js';
import { isPortFree } from './ports.js';
import { findBinary, isAlive, redisServerBinary, startRedisServer, stopPid, type RedisServerProcess } from './redis-server.js';

export interface RedisClusterOptions {
  /** Holds cluster.json and one sub-directory per node (DIR/<port>/). */
  dir: string;
  /** Nodes listen on basePort…basePort+N-1, their cluster bus on +10000. @default 7000 */
  basePort?: number;
  /** Replicas per primary. @default 1 */
  replicas?: number;
  /** @default 3 (redis-cli's minimum) */
  primaries?: number;
  /** cluster-node-timeout: how long a node may be unreachable before failover. @default 5_000 */
  nodeTimeoutMs?: number;
  /** Progress lines for humans (the CLI sends them to stderr). */
  log?: (message: string) => void;
}

export interface ClusterNodeInfo {
  port: number;
  pid: number;
}

export interface RunningCluster {
  /** redis://127.0.0.1:BASE */
  seedUrl: string;
  dir: string;
  nodes: ClusterNodeInfo[];
}

export interface StopClusterOptions {
  /** Also delete DIR (only when it holds nothing but what the launcher created). */
  purge?: boolean;
  /** SIGTERM, then SIGKILL after this long. @default 10_000 */
  graceMs?: number;
}

export const DEFAULT_BASE_PORT = 7000;
export const DEFAULT_REPLICAS = 1;
export const DEFAULT_PRIMARIES = 3;
export const DEFAULT_NODE_TIMEOUT_MS = 5_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** Redis derives each node's cluster bus port as client port + 10000. */
export const CLUSTER_BUS_OFFSET = 10_000;
/** `redis-cli --cluster create` refuses fewer than three primaries. */
export const MIN_PRIMARIES = 3;
export const CLUSTER_SLOTS = 16_384;
const MANIFEST_FILE = 'cluster.json';
/** Forming a cluster on loopback takes a few seconds; a minute means something is wrong. */
const CREATE_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 200;

// ---------------------------------------------------------------------------------------
// Errors. Each has a stable code. They extend Error rather than MiniscaleError because
// ErrorCode in src/errors.ts is a closed union this module does not own.

export abstract class RedisClusterError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A node's client or bus port is taken by another process. */
export class PortInUseError extends RedisClusterError {
  readonly code = 'PORT_IN_USE';
  constructor(readonly port: number, message: string) {
    super(message);
  }
}

/** DIR holds a different cluster than the one asked for, or something we did not create. */
export class ClusterDirConflictError extends RedisClusterError {
  readonly code = 'CLUSTER_DIR_CONFLICT';
}

/** DIR/cluster.json exists but cannot be trusted to name our PIDs. */
export class ClusterManifestError extends RedisClusterError {
  readonly code = 'CLUSTER_MANIFEST_INVALID';
}

/** `redis-cli --cluster create` failed. */
export class ClusterCreateError extends RedisClusterError {
  readonly code = 'CLUSTER_CREATE_FAILED';
}

/** The nodes run but did not all reach cluster_state:ok in time. */
export class ClusterNotReadyError extends RedisClusterError {
  readonly code = 'CLUSTER_NOT_READY';
}

/** A node we own survived SIGKILL or could not be signalled. */
export class ClusterStopError extends RedisClusterError {
  readonly code = 'CLUSTER_STOP_FAILED';
}

// ---------------------------------------------------------------------------------------
// Manifest

interface Manifest {
  basePort: number;
  nodes: ClusterNodeInfo[];
  seedUrl: string;
  /** Kept so a crash between starting the nodes and forming the cluster can be resumed. */
  replicas: number;
}

export function seedUrlFor(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

function manifestPath(dir: string): string {
  return path.join(dir, MANIFEST_FILE);
}

/** The manifest of DIR, or null when there is none. Throws on a manifest we cannot trust. */
export function readClusterManifest(dir: string): (RunningCluster & { basePort: number; replicas: number }) | null {
  const file = manifestPath(path.resolve(dir));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const manifest = parseManifest(text, file);
  return { ...manifest, dir: path.resolve(dir) };
}

function parseManifest(text: string, file: string): Manifest {
  const bad = (why: string) =>
    new ClusterManifestError(`${file} is not a valid cluster manifest (${why}); stop its servers yourself and delete it`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not an object');
  const { basePort, nodes, replicas } = raw as Record<string, unknown>;
  if (!isPort(basePort)) throw bad('basePort');
  if (!Array.isArray(nodes) || nodes.length === 0) throw bad('nodes');
  const parsed = nodes.map((n: unknown) => {
    const { port, pid } = (n ?? {}) as Record<string, unknown>;
    // PIDs 0, 1 and negatives would signal process groups or init: never accept them.
    if (!isPort(port) || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) throw bad('a node entry');
    return { port, pid };
  });
  const replicaCount = typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : DEFAULT_REPLICAS;
  return { basePort, nodes: parsed, seedUrl: seedUrlFor(basePort), replicas: replicaCount };
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function writeManifest(dir: string, manifest: Manifest): void {
  // Write-then-rename so a crash never leaves a half-written manifest that hides PIDs.
  const file = manifestPath(dir);
  writeFileSync(`${file}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

// ---------------------------------------------------------------------------------------
// Processes

function redisCliBinary(): string {
  return findBinary('redis-cli', 'apt-get install -y redis-tools');
}

/**
 * True when PID is alive and is a redis-server for this port. A PID from an old manifest
 * may have been reused by an unrelated process after a reboot; that one must not be
 * signalled. redis-server rewrites its title to "redis-server 127.0.0.1:PORT [cluster]";
 * before it does, the command line still names DIR/PORT/redis.conf.
 */
export function isClusterNodeProcess(pid: number, port: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  if (cmd === null || !/(^|\/)redis-server(\s|$)/.test(cmd)) return false;
  return new RegExp(`:${port}(\\s|$)`).test(cmd) || cmd.includes(path.join(dir, String(port), 'redis.conf'));
}

function commandLine(pid: number): string | null {
  if (existsSync('/proc/self/cmdline')) {
    try {
      // A zombie has an empty command line, which correctly fails the checks above.
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return null;
    }
  }
  try {
    // No procfs (macOS, BSD): ask ps for the same information.
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(port))) {
      throw new PortInUseError(port, `port ${port} is already in use; pick another --port (Redis Cluster needs ${ports[0]}-${ports.at(-1)} and their bus ports +${CLUSTER_BUS_OFFSET})`);
    }
    const bus = port + CLUSTER_BUS_OFFSET;
    if (!(await isPortFree(bus))) {
      throw new PortInUseError(bus, `port ${bus} (cluster bus of ${port}) is already in use; pick another --port`);
    }
  }
}

async function startNodes(dir: string, ports: number[], nodeTimeoutMs: number): Promise<RedisServerProcess[]> {
  const results = await Promise.allSettled(
    ports.map((port) =>
      startRedisServer({
        port,
        dir: path.join(dir, String(port)),
        detached: true,
        config: {
          'cluster-enabled': 'yes',
          'cluster-config-file': 'nodes.conf',
          'cluster-node-timeout': String(nodeTimeoutMs),
          appendonly: 'yes',
          // Redis waits 5 s by default before a diskless full sync, to batch replicas;
          // a fresh local cluster has nothing to batch and should be redundant at once.
          'repl-diskless-sync-delay': '0',
        },
      }),
    ),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((s) => s.stop(2_000)));
    throw failure.reason;
  }
  return started;
}

// ---------------------------------------------------------------------------------------
// Cluster state

/** A node dir belongs to a formed cluster when its nodes.conf knows more than itself. */
function isFormedNode(dir: string, port: number): boolean {
  try {
    const text = readFileSync(path.join(dir, String(port), 'nodes.conf'), 'utf8');
    return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('vars ')).length > 1;
  } catch {
    return false;
  }
}

/** Ports of node dirs left by a formed cluster whose manifest is gone (after `down`). */
function formedNodeDirs(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+$/.test(name) && isPort(Number(name)))
    .map(Number)
    .filter((port) => isFormedNode(dir, port))
    .sort((a, b) => a - b);
}

async function createCluster(ports: number[], replicas: number): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'];
  const result = await run(redisCliBinary(), args, CREATE_TIMEOUT_MS);
  // redis-cli reports some failures with "[ERR]" and exit code 0, so check both.
  if (result.code !== 0 || /\[ERR\]/.test(result.output)) {
    const detail = result.output.split('\n').filter((l) => /ERR|error/i.test(l)).slice(-3).join(' | ') || result.output.trim().split('\n').slice(-3).join(' | ');
    throw new ClusterCreateError(`redis-cli --cluster create failed: ${detail}`);
  }
}

function run(binary: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const timedOut = err?.killed ? `\n[ERR] timed out after ${timeoutMs} ms` : '';
      resolve({ code, output: `${stdout}\n${stderr}${timedOut}` });
    });
  });
}

/** Parsed CLUSTER INFO of the node on 127.0.0.1:port. */
export async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = await bulkCommand(port, ['CLUSTER', 'INFO']);
  const info: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const sep = line.indexOf(':');
    if (sep > 0) info[line.slice(0, sep)] = line.slice(sep + 1).trim();
  }
  return info;
}

/**
 * Why this node is not ready yet, or null when it is: the cluster is ok, every slot is
 * served, it knows every node with a live link, and every primary it sees has slots
 * (so a node that is about to become a replica no longer counts as a primary).
 */
async function notReadyReason(port: number, total: number): Promise<string | null> {
  try {
    const info = await clusterInfo(port);
    if (info.cluster_state !== 'ok') return `cluster_state:${info.cluster_state ?? '?'}`;
    if (info.cluster_slots_assigned !== String(CLUSTER_SLOTS)) return `slots assigned ${info.cluster_slots_assigned ?? '?'}/${CLUSTER_SLOTS}`;
    const nodes = (await bulkCommand(port, ['CLUSTER', 'NODES'])).trim().split('\n').map((l) => l.trim().split(' '));
    if (nodes.length !== total) return `knows ${nodes.length}/${total} nodes`;
    for (const fields of nodes) {
      const flags = (fields[2] ?? '').split(',');
      if (flags.some((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f))) return `sees ${fields[1]} as ${fields[2]}`;
      if (fields[7] !== 'connected') return `link to ${fields[1]} is ${fields[7] ?? '?'}`;
      if (flags.includes('master') && fields.length <= 8) return `sees ${fields[1]} as a primary without slots`;
    }
    // A replica that never finished its first sync refuses to take over ("Disconnected
    // from master for longer than allowed"): ready means every replica is in sync.
    const replication = await bulkCommand(port, ['INFO', 'replication']);
    if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return 'replica not yet in sync with its primary';
    return null;
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  }
}

async function waitForClusterReady(ports: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reasons = await Promise.all(ports.map((p) => notReadyReason(p, ports.length)));
    if (reasons.every((r) => r === null)) return;
    if (Date.now() >= deadline) {
      const detail = ports.flatMap((p, i) => (reasons[i] ? [`${p}: ${reasons[i]}`] : [])).join('; ');
      throw new ClusterNotReadyError(`Redis Cluster not ready after ${timeoutMs} ms (${detail})`);
    }
    await sleep(READY_POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------
// Minimal RESP client: CLUSTER INFO / CLUSTER NODES answer one bulk string, which is all
// the launcher needs; a full client library would be a heavy dependency for that.

function bulkCommand(port: number, args: string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buffer = Buffer.alloc(0);
    const finish = (err: Error | null, value = '') => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('connection closed')));
    socket.on('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer);
      if (reply) finish('error' in reply ? new Error(reply.error) : null, 'value' in reply ? reply.value : '');
    });
  });
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** One simple-string, error or bulk-string reply; null while incomplete. */
function parseReply(buffer: Buffer): { value: string } | { error: string } | null {
  const eol = buffer.indexOf('\r\n');
  if (eol < 0) return null;
  const head = buffer.subarray(0, eol).toString();
  if (head.startsWith('-')) return { error: head.slice(1) };
  if (head.startsWith('+')) return { value: head.slice(1) };
  if (!head.startsWith('$')) return { error: `unexpected reply ${JSON.stringify(head)}` };
  const length = Number(head.slice(1));
  if (length < 0) return { value: '' };
  // Bulk lengths count bytes, so slice the Buffer, not a decoded string.
  if (buffer.length < eol + 2 + length + 2) return null;
  return { value: buffer.subarray(eol + 2, eol + 2 + length).toString() };
}

// ---------------------------------------------------------------------------------------
// up

interface Plan {
  ports: number[];
  replicas: number;
  /** PIDs from the manifest that still run our redis-server on their port. */
  running: Map<number, number>;
  formed: boolean;
}

function planCluster(dir: string, opts: RedisClusterOptions): Plan {
  const manifest = readClusterManifest(dir);
  if (manifest) {
    const ports = manifest.nodes.map((n) => n.port);
    assertCompatible(dir, ports, opts);
    const running = new Map(manifest.nodes.filter((n) => isClusterNodeProcess(n.pid, n.port, dir)).map((n) => [n.port, n.pid] as const));
    return { ports, replicas: manifest.replicas, running, formed: formedState(dir, ports) };
  }
  const leftover = formedNodeDirs(dir);
  if (leftover.length > 0) {
    assertCompatible(dir, leftover, opts);
    return { ports: leftover, replicas: opts.replicas ?? DEFAULT_REPLICAS, running: new Map(), formed: true };
  }
  const count = (opts.primaries ?? DEFAULT_PRIMARIES) * (1 + (opts.replicas ?? DEFAULT_REPLICAS));
  const base = opts.basePort ?? DEFAULT_BASE_PORT;
  const ports = Array.from({ length: count }, (_, i) => base + i);
  return { ports, replicas: opts.replicas ?? DEFAULT_REPLICAS, running: new Map(), formed: false };
}

/** An explicit option that contradicts the cluster already in DIR is an error, not a silent override. */
function assertCompatible(dir: string, ports: number[], opts: RedisClusterOptions): void {
  const range = `${ports[0]}-${ports.at(-1)}`;
  if (opts.basePort !== undefined && opts.basePort !== ports[0]) {
    throw new ClusterDirConflictError(`${dir} holds a Redis Cluster on ports ${range}; use --port ${ports[0]}, another --dir, or \`redis-cluster down --purge\` first`);
  }
  if (opts.primaries !== undefined || opts.replicas !== undefined) {
    const wanted = (opts.primaries ?? DEFAULT_PRIMARIES) * (1 + (opts.replicas ?? DEFAULT_REPLICAS));
    if (wanted !== ports.length) {
      throw new ClusterDirConflictError(`${dir} holds a ${ports.length}-node Redis Cluster (ports ${range}), not ${wanted} nodes; use another --dir or \`redis-cluster down --purge\` first`);
    }
  }
}

function formedState(dir: string, ports: number[]): boolean {
  const formed = ports.map((p) => isFormedNode(dir, p));
  if (formed.every(Boolean)) return true;
  if (!formed.some(Boolean)) return false;
  throw new ClusterDirConflictError(`${dir} holds a half-formed Redis Cluster (some nodes joined, some did not); run \`redis-cluster down --purge --dir ${dir}\` and start again`);
}

function validateOptions(opts: RedisClusterOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new ValidationError(`invalid Redis Cluster option: ${what}`);
  };
  const primaries = opts.primaries ?? DEFAULT_PRIMARIES;
  const replicas = opts.replicas ?? DEFAULT_REPLICAS;
  const base = opts.basePort ?? DEFAULT_BASE_PORT;
  check(Number.isInteger(primaries) && primaries >= MIN_PRIMARIES, `primaries must be an integer >= ${MIN_PRIMARIES}`);
  check(Number.isInteger(replicas) && replicas >= 0, 'replicas must be an integer >= 0');
  const last = base + primaries * (1 + replicas) - 1 + CLUSTER_BUS_OFFSET;
  check(Number.isInteger(base) && base >= 1 && last <= 65535, `basePort ${base} leaves no room for ${primaries * (1 + replicas)} nodes and their bus ports (+${CLUSTER_BUS_OFFSET})`);
  const timeout = opts.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  check(Number.isInteger(timeout) && timeout > 0, 'nodeTimeoutMs must be a positive integer');
}

/**
 * Starts (or resumes) the cluster in opts.dir and resolves once every node reports
 * cluster_state:ok. Idempotent: a running cluster is returned as is; a formed cluster
 * whose processes are gone is restarted from its data instead of being re-created.
 */
export async function startRedisCluster(opts: RedisClusterOptions): Promise<RunningCluster> {
  validateOptions(opts);
  redisServerBinary();
  redisCliBinary();
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const plan = planCluster(dir, opts);
  const log = opts.log ?? (() => {});
  const nodeTimeoutMs = opts.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  const readyTimeoutMs = Math.max(30_000, nodeTimeoutMs * 6);
  const missing = plan.ports.filter((p) => !plan.running.has(p));

  if (missing.length === 0 && plan.formed) {
    log(`Redis Cluster already running on ports ${plan.ports[0]}-${plan.ports.at(-1)}`);
    await waitForClusterReady(plan.ports, readyTimeoutMs);
    return toRunningCluster(dir, plan.ports, plan.running);
  }
  await assertPortsFree(missing);
  log(`starting ${missing.length} redis-server node(s) on ports ${missing.join(', ')}`);
  const started = await startNodes(dir, missing, nodeTimeoutMs);
  const pids = new Map([...plan.running, ...started.map((s) => [s.port, s.pid] as const)]);
  writeManifest(dir, toManifest(plan, pids));
  try {
    if (!plan.formed) {
      log(`forming the cluster (${plan.replicas} replica(s) per primary)`);
      await createCluster(plan.ports, plan.replicas);
    }
    log('waiting for cluster_state:ok on every node');
    await waitForClusterReady(plan.ports, readyTimeoutMs);
  } catch (err) {
    await rollback(dir, plan, pids, started);
    throw err;
  }
  return toRunningCluster(dir, plan.ports, pids);
}

/** Stops only what this call started, so a failed `up` leaves no new processes behind. */
async function rollback(dir: string, plan: Plan, pids: Map<number, number>, started: RedisServerProcess[]): Promise<void> {
  await Promise.all(started.map((s) => s.stop(DEFAULT_STOP_GRACE_MS)));
  for (const s of started) pids.delete(s.port);
  if (pids.size > 0) writeManifest(dir, toManifest(plan, pids));
  else rmSync(manifestPath(dir), { force: true });
}

function toManifest(plan: Plan, pids: Map<number, number>): Manifest {
  const base = plan.ports[0] ?? DEFAULT_BASE_PORT;
  const nodes = plan.ports.flatMap((port) => {
    const pid = pids.get(port);
    return pid === undefined ? [] : [{ port, pid }];
  });
  return { basePort: base, nodes, seedUrl: seedUrlFor(base), replicas: plan.replicas };
}

function toRunningCluster(dir: string, ports: number[], pids: Map<number, number>): RunningCluster {
  const base = ports[0] ?? DEFAULT_BASE_PORT;
  const nodes = ports.map((port) => ({ port, pid: pids.get(port) ?? 0 }));
  return { seedUrl: seedUrlFor(base), dir, nodes };
}

// ---------------------------------------------------------------------------------------
// down

/**
 * Stops exactly the PIDs in DIR's manifest that still are our redis-server on their
 * port (SIGTERM, then SIGKILL after graceMs) and removes the manifest. Data stays
 * unless `purge`.
 */
export async function stopRedisCluster(
  dir: string,
  opts: StopClusterOptions = {},
): Promise<{ stopped: number; skipped: ClusterNodeInfo[] }> {
  const abs = path.resolve(dir);
  // Refuse a purge that would delete foreign files before anything is stopped.
  if (opts.purge) assertOnlyLauncherFiles(abs);
  const manifest = readClusterManifest(abs);
  const nodes = manifest?.nodes ?? [];
  const ours = nodes.filter((n) => isClusterNodeProcess(n.pid, n.port, abs));
  // Alive but no longer a redis-server on that port: the PID was reused. Leave it alone.
  const skipped = nodes.filter((n) => !ours.includes(n) && isAlive(n.pid) && commandLine(n.pid));
  await Promise.all(ours.map((n) => stopPid(n.pid, opts.graceMs ?? DEFAULT_STOP_GRACE_MS)));
  const survivors = ours.filter((n) => isClusterNodeProcess(n.pid, n.port, abs));
  if (survivors.length > 0 && manifest) {
    writeManifest(abs, { ...manifest, nodes: survivors });
    throw new ClusterStopError(`could not stop redis-server PID(s) ${survivors.map((n) => `${n.pid} (port ${n.port})`).join(', ')}`);
  }
  rmSync(manifestPath(abs), { force: true });
  if (opts.purge) purgeDir(abs);
  return { stopped: ours.length, skipped };
}

/** `--dir ~` with `--purge` must not delete a home directory: only our own layout goes. */
function assertOnlyLauncherFiles(dir: string): void {
  if (!existsSync(dir)) return;
  const foreign = readdirSync(dir).filter((name) => !isLauncherEntry(dir, name));
  if (foreign.length > 0) {
    throw new ClusterDirConflictError(`refusing to purge ${dir}: it holds ${foreign.slice(0, 3).join(', ')}, which redis-cluster did not create`);
  }
}

/** Deletes DIR only when it holds nothing but the launcher's files and no node still runs there. */
function purgeDir(dir: string): void {
  if (!existsSync(dir)) return;
  assertOnlyLauncherFiles(dir);
  for (const name of readdirSync(dir).filter((n) => /^\d+$/.test(n))) {
    const pid = readPidFile(path.join(dir, name, 'redis.pid'));
    if (pid !== null && isClusterNodeProcess(pid, Number(name), dir)) {
      throw new ClusterDirConflictError(`refusing to purge ${dir}: redis-server PID ${pid} still runs on port ${name} (not in the manifest; stop it first)`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

function isLauncherEntry(dir: string, name: string): boolean {
  if (name === MANIFEST_FILE || name === `${MANIFEST_FILE}.tmp`) return true;
  if (!/^\d+$/.test(name)) return false;
  const nodeDir = path.join(dir, name);
  return statSync(nodeDir).isDirectory() && existsSync(path.join(nodeDir, 'redis.conf'));
}

function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}
