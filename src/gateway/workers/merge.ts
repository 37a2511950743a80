/**
 * One view of the upstreams out of every worker's. Each worker keeps its own health
 * state from its own traffic and probes, so two workers can disagree for a moment (one
 * has ejected a node the other has not yet seen fail). The merged state is the least
 * healthy any worker reports — an operator looking at the dashboard should see the
 * trouble, not an average that hides it — and `states` says how many workers see what.
 * Counters and in-flight requests add up; the latency is the mean over the workers that
 * have sent the upstream anything (a worker with no traffic to it knows no latency).
 */
import type { UpstreamView, UpstreamsView } from '../types.js';

/** From least to most healthy. */
const SEVERITY = ['draining', 'ejected', 'unhealthy', 'slow-start', 'healthy'];

export interface MergedUpstreamView extends UpstreamView {
  /** How many workers see the upstream in each state. */
  states: Record<string, number>;
}

export interface MergedView extends UpstreamsView {
  workers: number;
  upstreams: MergedUpstreamView[];
}

export function mergeViews(views: readonly UpstreamsView[]): MergedView {
  const byUrl = new Map<string, UpstreamView[]>();
  for (const v of views) {
    for (const u of v.upstreams) {
      const list = byUrl.get(u.url);
      if (list) list.push(u);
      else byUrl.set(u.url, [u]);
    }
  }
  return {
    algorithm: views[0]?.algorithm ?? '',
    workers: views.length,
    upstreams: [...byUrl.values()].map(mergeUpstream),
  };
}

export function mergeUpstream(list: readonly UpstreamView[]): MergedUpstreamView {
  const states: Record<string, number> = {};
  for (const u of list) states[u.state] = (states[u.state] ?? 0) + 1;
  const state = leastHealthy(list.map((u) => u.state));
  const sum = (f: (u: UpstreamView) => number) => list.reduce((n, u) => n + f(u), 0);
  const nodeId = list.find((u) => u.nodeId !== undefined)?.nodeId;
  return {
    url: list[0]!.url,
    ...(nodeId !== undefined ? { nodeId } : {}),
    state,
    states,
    inflight: sum((u) => u.inflight),
    ewmaMs: meanLatency(list),
    requests: sum((u) => u.requests),
    failures: sum((u) => u.failures),
  };
}

/** The least healthy of several workers' views of one upstream. */
export function leastHealthy(states: readonly string[]): string {
  return [...states].sort((a, b) => severity(a) - severity(b))[0] ?? 'healthy';
}

function severity(state: string): number {
  const i = SEVERITY.indexOf(state);
  return i === -1 ? 0 : i; // a state this code does not know is shown, not hidden
}

function meanLatency(list: readonly UpstreamView[]): number {
  const known = list.filter((u) => u.requests > 0);
  if (known.length === 0) return 0;
  return Math.round((known.reduce((n, u) => n + u.ewmaMs, 0) / known.length) * 1000) / 1000;
}
