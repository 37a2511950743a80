/**
 * How `miniscale up` serves clients on one machine, whichever topology: the default one
 * hop (serve-one-hop.ts: API node workers share the public port) or `--gateway`
 * (serve-gateway.ts: the gateway in the `up` process, nodes as child processes). up.ts
 * starts what both need (emulator, store, admin key) and hands one of them the rest.
 */
import type { AdminKey } from './admin-key-file.js';
import type { Logger } from '../core/logging.js';
import type { UpOptions } from './up-options.js';

export type TopologyName = 'one-hop' | 'gateway';

export interface ServeParts {
  o: UpOptions;
  log: Logger;
  /** A logger for another component in the same stream (the in-process gateway). */
  logger(component: 'gateway'): Logger;
  adminKey: AdminKey;
  /** Environment of every API node (WeChat settings, admin key, log level). */
  env: NodeJS.ProcessEnv;
  /** Store arguments of `miniscale node`. */
  nodeArgs: string[];
  /** A line a node printed, for the one log stream. */
  onOutputLine(line: string): void;
  /** The set of nodes changed (topology.json is rewritten). */
  onChange(): void;
}

export interface Serving {
  /** Where clients connect. */
  readonly url: string;
  readonly topology: TopologyName;
  /** The addresses a front proxy would use: the shared port (one hop), each node's (gateway). */
  nodeUrls(): string[];
  /** Every node serving now. */
  workers(): { nodeId: string; pid: number }[];
  /** Every node process alive, including ones being replaced. */
  pids(): number[];
  /** Replaces every node, one at a time, with no failed request. */
  replaceAll(): Promise<void>;
  /** Drains every node; all gone within the nodes' drain timeout. */
  stop(): Promise<void>;
  /** No more waiting: SIGKILL every node. */
  kill(): void;
}
