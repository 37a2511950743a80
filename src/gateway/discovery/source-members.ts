/**
 * A discovery source's upstreams in the membership (the sink of source.ts):
 * what the source reports becomes adds and removals, and its draining flags go to
 * Membership, which owns drain state. It remembers which upstreams this source added —
 * a static upstream at the same address stays static, with the source driving only its
 * draining flag, and is never removed because the source stopped naming it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscoveredNode, DiscoverySink } from './source.js';
import type { Membership } from '../upstreams/membership.js';
import { upstreamId } from '../options.js';
import type { Upstream } from '../upstreams/upstream.js';

/** How often a leaving node's in-flight requests are counted while waiting for them. */
const LEAVE_POLL_MS = 20;

export class SourceMembers implements DiscoverySink {
  /** Upstreams this source added, by `nodeId url` (a restarted node is a new member). */
  readonly #known = new Map<string, Upstream>();
  #first = true;

  constructor(private readonly membership: Membership) {}

  current(nodes: readonly DiscoveredNode[]): void {
    const seen = new Set<string>();
    for (const node of nodes) {
      seen.add(key(node));
      this.#admit(node);
    }
    for (const [k, u] of this.#known) if (!seen.has(k)) this.#forget(u, k);
    this.#first = false;
  }

  join(node: DiscoveredNode): void {
    this.#admit(node);
  }

  async leave(node: DiscoveredNode): Promise<void> {
    const u = this.#known.get(key(node));
    if (!u) return;
    this.#forget(u);
    while (u.inflight > 0) await sleep(LEAVE_POLL_MS);
  }

  #admit(node: DiscoveredNode): void {
    const k = key(node);
    let u = this.#known.get(k);
    if (!u) {
      const clash = this.membership.find(upstreamId(node.url));
      if (clash && ![...this.#known.values()].includes(clash)) {
        // Also given statically: one upstream, whose draining flag the source drives.
        this.membership.setRegistryDraining(clash, node.draining === true);
        return;
      }
      if (clash) this.#forget(clash); // the same address under a new node id: a restart
      u = this.membership.add(node.url, { nodeId: node.nodeId, slowStart: !this.#first });
      this.#known.set(k, u);
    }
    this.membership.setRegistryDraining(u, node.draining === true);
  }

  #forget(u: Upstream, only?: string): void {
    for (const [k, v] of this.#known) if (v === u && (only === undefined || k === only)) this.#known.delete(k);
    this.membership.remove(u);
  }
}

function key(node: DiscoveredNode): string {
  return `${node.nodeId ?? ''} ${node.url}`;
}
