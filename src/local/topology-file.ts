/**
 * `miniscale up` records the running topology in DATA/topology.json (and removes it
 * on exit), so other commands — `nginx-config`, `restart` — can find the running
 * system without flags.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../redis-launcher/redis-server.js';

export interface Topology {
  /** PID of the `miniscale up` process (SIGHUP to it = rolling restart). */
  pid: number;
  topology: 'one-hop' | 'gateway';
  /** Where clients connect. */
  url: string;
  /** The same as `url`, under the name it had when a gateway always answered there. */
  gatewayUrl: string;
  /** What a front proxy would point at: the shared port (one hop), or each node's own (gateway). */
  nodes: string[];
  /** The API nodes serving now. */
  workers: { nodeId: string; pid: number }[];
  store: string;
  startedAt: string;
  /** Every process `up` started and still runs (nodes, store helpers), for operators and tests. */
  pids: number[];
  /** Rolling restarts finished, well or not; `miniscale restart` waits for this to grow. */
  restarts: number;
  /** Why the last rolling restart stopped short, when it did. */
  lastRestartError?: string;
}

export function topologyPath(dataDir: string): string {
  return path.resolve(dataDir, 'topology.json');
}

export function writeTopology(dataDir: string, topology: Topology): void {
  const file = topologyPath(dataDir);
  // Write then rename, so a reader never sees half a file.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(topology, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function removeTopology(dataDir: string): void {
  rmSync(topologyPath(dataDir), { force: true });
}

/** The topology of a running `up`, or null when none runs on this data directory. */
export function readTopology(dataDir: string): Topology | null {
  try {
    const topology = JSON.parse(readFileSync(topologyPath(dataDir), 'utf8')) as Topology;
    return typeof topology.pid === 'number' && isAlive(topology.pid) ? topology : null;
  } catch {
    return null;
  }
}
