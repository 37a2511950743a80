/**
 * Membership from the store's node registry: API nodes register `{url, draining}` and
 * heartbeat; a node that stops beating drops out of `list()`. Polled, because every
 * driver can list and none can push. A node that appears starts in slow start; one
 * marked draining gets no new requests; one that disappears finishes what it has.
 * A failed poll keeps the last known membership — the store being briefly away must
 * not empty the gateway.
 */
import type { Logger } from '../core/logging.js';
import type { RegisteredNode, Store } from '../store/index.js';
import type { Membership } from './membership.js';
import { checkUpstreamUrl } from './options.js';
import type { Upstream } from './upstream.js';

export class RegistryDiscovery {
  #timer: NodeJS.Timeout | undefined;
  /** Registry entries we added, by `nodeId url` (a restarted node is a new member). */
  readonly #known = new Map<string, Upstream>();
  #first = true;
  #failing = false;
  #polling: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly membership: Membership,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
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
    this.#sync(nodes);
  }

  #sync(nodes: RegisteredNode[]): void {
    const seen = new Set<string>();
    for (const node of nodes) {
      const url = registeredUrl(node);
      if (!url) {
        this.log.warn({ nodeId: node.nodeId }, 'registry entry without a usable http:// url; ignored');
        continue;
      }
      const key = `${node.nodeId} ${url}`;
      seen.add(key);
      let u = this.#known.get(key);
      if (!u) {
        const clash = this.membership.find(new URL(url).host);
        if (clash && ![...this.#known.values()].includes(clash)) {
          // Also given statically: one upstream, whose draining flag the registry drives.
          this.membership.setRegistryDraining(clash, node.info.draining === true);
          continue;
        }
        if (clash) this.#forget(clash); // the same address under a new node id: a restart
        u = this.membership.add(url, { nodeId: node.nodeId, slowStart: !this.#first });
        this.#known.set(key, u);
      }
      this.membership.setRegistryDraining(u, node.info.draining === true);
    }
    for (const [key, u] of this.#known) if (!seen.has(key)) this.#forget(u, key);
    this.#first = false;
  }

  #forget(u: Upstream, key?: string): void {
    for (const [k, v] of this.#known) if (v === u && (key === undefined || k === key)) this.#known.delete(k);
    this.membership.remove(u);
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
