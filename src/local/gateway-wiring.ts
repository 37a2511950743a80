/**
 * Tells the in-process gateway of `up` what the supervisor does to its nodes, the
 * moment it does it: a ready node joins (in slow start), a node about to be drained
 * leaves the rotation first and is only signalled once the gateway has no request of
 * its own left on it — which is what makes a rolling restart lose no request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningGateway } from '../gateway/index.js';
import type { ManagedNode, SupervisorEvents } from './supervisor.js';

export function gatewayEvents(gateway: () => RunningGateway | undefined): SupervisorEvents {
  const find = (node: ManagedNode) => gateway()?.runtime.membership.find(node.url);
  return {
    ready(node) {
      const gw = gateway();
      if (gw && !find(node)) gw.runtime.membership.add(node.url, { nodeId: node.nodeId, slowStart: true });
    },
    async retiring(node) {
      const u = find(node);
      if (!u) return;
      gateway()!.runtime.membership.remove(u);
      while (u.inflight > 0) await sleep(20);
    },
    gone(node) {
      const u = find(node);
      if (u) gateway()!.runtime.membership.remove(u);
    },
  };
}

/** Makes the gateway's members exactly the supervisor's ready nodes. */
export function reconcile(gw: RunningGateway, nodes: ManagedNode[]): void {
  const membership = gw.runtime.membership;
  for (const n of nodes) if (!membership.find(n.url)) membership.add(n.url, { nodeId: n.nodeId, slowStart: true });
  const urls = new Set(nodes.map((n) => new URL(n.url).host));
  for (const u of membership.upstreams) if (!urls.has(u.id)) membership.remove(u);
}
