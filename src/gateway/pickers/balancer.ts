/**
 * Picks the upstream for one attempt: the nodes that may take new requests, minus the
 * ones this request already tried, handed to the configured picker. When no node at
 * all may take requests (every one ejected or failing its probes), it falls back to
 * all non-draining nodes — panic mode, as Envoy does: passive ejection reacts to
 * symptoms, and when the symptom is everywhere (a shared store hiccup, a bad deploy
 * of the health endpoint) refusing everything is worse than trying. In panic, nodes
 * out only for their recent failures — their probes pass — go first: a machine that
 * died fails its probes too, and picking it would only spend a retry.
 */
import type { GatewayMetrics } from '../metrics.js';
import type { Membership } from '../upstreams/membership.js';
import type { Picker, PickRequest } from './index.js';
import type { Upstream } from '../upstreams/upstream.js';

export class Balancer {
  constructor(
    private readonly membership: Membership,
    readonly picker: Picker,
    private readonly metrics: GatewayMetrics,
  ) {}

  pick(request: PickRequest, tried: readonly Upstream[]): Upstream | undefined {
    const all = this.membership.upstreams;
    const candidates: Upstream[] = [];
    let anyEligible = false;
    for (const u of all) {
      if (!u.health.eligible(request.now)) continue;
      anyEligible = true;
      if (!tried.includes(u)) candidates.push(u);
    }
    if (!anyEligible) {
      for (const u of all) if (!u.health.draining && !tried.includes(u)) candidates.push(u);
      const probedOk = candidates.filter((u) => u.health.state(request.now) === 'ejected');
      if (probedOk.length > 0) candidates.splice(0, candidates.length, ...probedOk);
      if (candidates.length > 0) this.metrics.panics.inc();
    }
    return candidates.length === 0 ? undefined : this.picker.pick(candidates, request);
  }
}
