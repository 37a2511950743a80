/**
 * A discovery source (discovery-source.ts) reading the store's node registry: API nodes
 * register `{url, draining}` and heartbeat; a node that stops beating drops out of
 * `list()`. Polled, because every driver can list and none can push; each poll reports
 * the whole set, so a node that appears joins (in slow start after the first poll), one
 * marked draining gets no new requests, and one that disappears finishes what it has.
 * A failed poll reports nothing — the store being briefly away must not empty the gateway.
 */
import type { Logger } from '../../core/logging.js';
import type { RegisteredNode, Store } from '../../store/index.js';
import type { DiscoveredNode, DiscoverySink, DiscoverySource } from './source.js';
import { checkUpstreamUrl } from '../options.js';

export class RegistryDiscovery implements DiscoverySource {
  #timer: NodeJS.Timeout | undefined;
  #sink: DiscoverySink | undefined;
  #failing = false;
  #polling: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(sink: DiscoverySink): Promise<void> {
    this.#sink = sink;
    await this.poll();
    this.#timer = setInterval(() => void this.poll(), this.intervalMs);
    this.#timer.unref();
  }

  poll(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
    this.#sink = undefined;
  }

  async #poll(): Promise<void> {
    let nodes: RegisteredNode[];
    try {
      nodes = await this.store.list();
    } catch (err) {
      if (!this.#failing) this.log.warn({ err }, 'cannot list the node registry; keeping the last known upstreams');
      this.#failing = true;
      return;
    }
    if (this.#failing) this.log.info('node registry reachable again');
    this.#failing = false;
    this.#sink?.current(nodes.flatMap((n) => this.#discovered(n)));
  }

  #discovered(node: RegisteredNode): DiscoveredNode[] {
    const url = registeredUrl(node);
    if (!url) {
      this.log.warn({ nodeId: node.nodeId }, 'registry entry without a usable http:// url; ignored');
      return [];
    }
    return [{ url, nodeId: node.nodeId, draining: node.info.draining === true }];
  }
}

function registeredUrl(node: RegisteredNode): string | undefined {
  const url = node.info.url;
  if (typeof url !== 'string') return undefined;
  try {
    return checkUpstreamUrl(url, 'registry');
  } catch {
    return undefined;
  }
}
