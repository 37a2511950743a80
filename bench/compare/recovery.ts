/**
 * What the kill-node scenario reads from `GET /_gateway/upstreams`, in either topology
 * of `miniscale up`: whom to kill, how many client connections that costs, and when the
 * system is back at full strength. Pure: miniscale.ts does the asking.
 */

/** One row of `/_gateway/upstreams`. One hop adds who the worker is and the connections it holds. */
export interface UpstreamView {
  url: string;
  state: string;
  requests: number;
  nodeId?: string;
  pid?: number;
  connections?: number;
}

/** An upstream's identity across answers: its PID where given (one hop: every worker has the shared URL), else its URL. */
export function identity(u: UpstreamView): string {
  return u.pid !== undefined ? `pid ${u.pid}` : u.url;
}

/** Taking requests: healthy, or ramping up in the gateway's slow start (one hop has no slow start). */
const IN_ROTATION = new Set(['healthy', 'slow-start']);

/**
 * Back at full strength: `count` upstreams, every one in rotation, and at least one of
 * them new (not among `before`, the identities when the node was killed) — the
 * replacement, not the victim still being listed.
 */
export function atFullStrength(ups: readonly UpstreamView[], count: number, before: ReadonlySet<string>): boolean {
  return ups.length === count && ups.every((u) => IN_ROTATION.has(u.state)) && ups.some((u) => !before.has(identity(u)));
}

/** The one-hop worker to SIGKILL, and the load's client connections it holds. */
export interface Victim {
  pid: number;
  nodeId?: string;
  heldConnections: number;
}

/**
 * Picks a healthy worker that did not answer the question (`answeredBy`, its
 * X-Node-Id): the question's own connection sits on the worker that answered, so the
 * victim's `connections` are all the load's. With one worker only, that one, less the
 * question's connection.
 */
export function pickVictim(ups: readonly UpstreamView[], answeredBy: string | undefined): Victim {
  const candidates = ups.filter((u): u is UpstreamView & { pid: number } => u.pid !== undefined && u.state === 'healthy');
  const victim = candidates.find((u) => u.nodeId !== answeredBy) ?? candidates[0];
  if (!victim) throw new Error(`no healthy worker to kill: ${JSON.stringify(ups)}`);
  const own = victim.nodeId !== undefined && victim.nodeId === answeredBy ? 1 : 0;
  return { pid: victim.pid, nodeId: victim.nodeId, heldConnections: Math.max(0, (victim.connections ?? 0) - own) };
}

/**
 * The load's connections per worker, as "63 · 1 (new)": whether the replacement of a
 * killed worker got any of the clients back (keep-alive clients stay where they are
 * until they reconnect). The question's own connection is left out.
 */
export function connectionsNote(ups: readonly UpstreamView[], answeredBy: string | undefined, before: ReadonlySet<string>): string {
  return ups
    .map((u) => {
      const n = (u.connections ?? 0) - (u.nodeId !== undefined && u.nodeId === answeredBy ? 1 : 0);
      return `${n}${before.has(identity(u)) ? '' : ' (new)'}`;
    })
    .join(' · ');
}
