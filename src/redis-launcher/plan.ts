/**
 * What `up` must do in DIR, read from what is on disk: resume the cluster in the
 * manifest, restart a formed cluster whose manifest `down` removed (its data stays),
 * or start a new one. Options that contradict the cluster already there are errors,
 * never silent overrides, so `up --port 8000` cannot quietly resume a cluster on 7000.
 */
import { ClusterDirConflictError } from '../core/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPort, readClusterManifest } from './manifest.js';
import { isClusterNodeProcess } from './nodes.js';
import { DEFAULT_BASE_PORT, DEFAULT_REPLICAS, nodeCountFor, type RedisClusterOptions } from './options.js';

export interface Plan {
  ports: number[];
  replicas: number;
  /** PIDs from the manifest that still run our redis-server on their port. */
  running: Map<number, number>;
  formed: boolean;
}

export function planCluster(dir: string, opts: RedisClusterOptions): Plan {
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
  const base = opts.basePort ?? DEFAULT_BASE_PORT;
  const ports = Array.from({ length: nodeCountFor(opts) }, (_, i) => base + i);
  return { ports, replicas: opts.replicas ?? DEFAULT_REPLICAS, running: new Map(), formed: false };
}

/** Only options the caller gave may conflict: a default says nothing about intent. */
function assertCompatible(dir: string, ports: number[], opts: RedisClusterOptions): void {
  const range = `${ports[0]}-${ports.at(-1)}`;
  if (opts.basePort !== undefined && opts.basePort !== ports[0]) {
    throw new ClusterDirConflictError(
      `${dir} holds a Redis Cluster on ports ${range}; use --port ${ports[0]}, another --dir, or \`redis-cluster down --purge\` first`,
    );
  }
  if (opts.primaries !== undefined || opts.replicas !== undefined) {
    const wanted = nodeCountFor(opts);
    if (wanted !== ports.length) {
      throw new ClusterDirConflictError(
        `${dir} holds a ${ports.length}-node Redis Cluster (ports ${range}), not ${wanted} nodes; use another --dir or \`redis-cluster down --purge\` first`,
      );
    }
  }
}

/**
 * Whether the manifest's nodes were formed into a cluster. Some but not all means a
 * crash mid-create; `redis-cli --cluster create` refuses nodes that already joined
 * one, so only a purge and a fresh start get out of it.
 */
function formedState(dir: string, ports: number[]): boolean {
  const formed = ports.map((p) => isFormedNode(dir, p));
  if (formed.every(Boolean)) return true;
  if (!formed.some(Boolean)) return false;
  throw new ClusterDirConflictError(
    `${dir} holds a half-formed Redis Cluster (some nodes joined, some did not); run \`redis-cluster down --purge --dir ${dir}\` and start again`,
  );
}

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
