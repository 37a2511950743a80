/**
 * `up --gateway`'s node supervisor as a discovery source of its in-process gateway
 * (src/gateway/discovery/source.ts), told the moment the supervisor acts: a ready node
 * joins (in slow start), a node about to be drained leaves the rotation first and is
 * only signalled once the gateway has no request of its own left on it — which is what
 * makes a rolling restart lose no request. Events before the gateway starts are not
 * lost: its `start` reports the supervisor's ready nodes as they are then.
 */
import type { DiscoveredNode, DiscoverySink, DiscoverySource } from '../gateway/index.js';
import type { ManagedNode, SupervisorEvents } from './supervisor.js';

export class SupervisorDiscovery implements DiscoverySource {
  #sink: DiscoverySink | undefined;

  /** `nodes`: the supervisor's ready nodes now. */
  constructor(private readonly nodes: () => ManagedNode[]) {}

  /** For the supervisor's `events`. */
  readonly events: Required<SupervisorEvents> = {
    ready: (node) => this.#sink?.join(discovered(node)),
    retiring: async (node) => {
      await this.#sink?.leave(discovered(node));
    },
    gone: (node) => void this.#sink?.leave(discovered(node)),
  };

  start(sink: DiscoverySink): Promise<void> {
    this.#sink = sink;
    sink.current(this.nodes().map(discovered));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#sink = undefined;
    return Promise.resolve();
  }
}

function discovered(node: ManagedNode): DiscoveredNode {
  return { url: node.url, nodeId: node.nodeId };
}
