/**
 * DIR/cluster.json: the record of a running local Redis Cluster. It names every PID the
 * launcher started, so `down` stops exactly what `up` started and nothing is ever
 * signalled by name. A manifest we cannot trust is an error, never a guess.
 */
import { ClusterManifestError } from '../core/errors.js';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_REPLICAS } from './options.js';

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

export interface Manifest {
  basePort: number;
  nodes: ClusterNodeInfo[];
  seedUrl: string;
  /** Kept so a crash between starting the nodes and forming the cluster can be resumed. */
  replicas: number;
}

export const MANIFEST_FILE = 'cluster.json';

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
    const node = parseNode(n);
    if (!node) throw bad('a node entry');
    return node;
  });
  // Unlike a PID, a bad `replicas` cannot make us signal the wrong process: default it.
  const replicaCount = typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : DEFAULT_REPLICAS;
  return { basePort, nodes: parsed, seedUrl: seedUrlFor(basePort), replicas: replicaCount };
}

function parseNode(entry: unknown): ClusterNodeInfo | null {
  const { port, pid } = (entry ?? {}) as Record<string, unknown>;
  // PIDs 0, 1 and negatives would signal process groups or init: never accept them.
  if (!isPort(port) || typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return null;
  return { port, pid };
}

export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

export function writeManifest(dir: string, manifest: Manifest): void {
  // Write-then-rename so a crash never leaves a half-written manifest that hides PIDs.
  const file = manifestPath(dir);
  writeFileSync(`${file}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

export function removeManifest(dir: string): void {
  rmSync(manifestPath(dir), { force: true });
}

/** True for the manifest and its write-then-rename temporary: files the launcher owns. */
export function isManifestFile(name: string): boolean {
  return name === MANIFEST_FILE || name === `${MANIFEST_FILE}.tmp`;
}
