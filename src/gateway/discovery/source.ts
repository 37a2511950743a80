/**
 * How a gateway learns its upstreams beyond the static list: a source (the store's node
 * registry in registry.ts, `up`'s node supervisor in src/local) tells a sink the whole
 * set it knows now, a node that joined, or a node that left. The gateway gives each
 * source its own sink (source-members.ts), which is the only thing that changes the
 * membership for it. A leaf: it imports nothing of the project, so sources outside the
 * gateway depend on this file alone.
 */

/** One upstream as a source knows it. */
export interface DiscoveredNode {
  /** `http://host:port`, checked by the source. */
  url: string;
  /** The node's own id (a registry node id); a new id at the same URL is a restarted node. */
  nodeId?: string;
  /** The node says it is draining: it keeps its in-flight requests and gets no new ones. */
  draining?: boolean;
}

export interface DiscoverySink {
  /**
   * Exactly these are the source's nodes now: the others it reported leave. The first
   * call (made by `start`, before the gateway listens) brings nodes in at full weight;
   * every node that joins later starts in slow start.
   */
  current(nodes: readonly DiscoveredNode[]): void;
  /** One node joined (or, already known, changed its draining flag). */
  join(node: DiscoveredNode): void;
  /** One node left; resolves once the gateway has no request of its own left on it. */
  leave(node: DiscoveredNode): Promise<void>;
}

export interface DiscoverySource {
  /** Reports the current set to `sink` before it resolves, then keeps reporting changes. */
  start(sink: DiscoverySink): Promise<void>;
  /** Reports nothing more. */
  stop(): Promise<void>;
}
