/**
 * Active health checks: `GET /readyz` on every upstream each interval, on a connection
 * of its own (a probe queued behind real requests in a saturated pool would time out
 * and wrongly fail a busy node). 2xx within the timeout is a pass; `healthyThreshold`
 * passes in a row bring a node back (through slow start), `unhealthyThreshold` misses
 * in a row take it out. A probe still running when the next tick comes is not doubled.
 */
import { Client } from 'undici';
import type { Logger } from '../../core/logging.js';
import type { Membership } from '../upstreams/membership.js';
import type { Upstream } from '../upstreams/upstream.js';

export interface ProbeSettings {
  path: string;
  intervalMs: number;
  timeoutMs: number;
}

export class ActiveHealthChecker {
  #timer: NodeJS.Timeout | undefined;
  readonly #clients = new Map<Upstream, Client>();
  readonly #running = new Set<Upstream>();

  constructor(
    private readonly membership: Membership,
    private readonly s: ProbeSettings,
    private readonly log: Logger,
  ) {
    membership.onChange((event, u) => {
      if (event === 'removed') this.#forget(u);
      else if (this.#timer) void this.#probe(u);
    });
  }

  start(): void {
    if (this.s.intervalMs === 0) return;
    this.#timer = setInterval(() => this.#tick(), this.s.intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#clients.values()].map((c) => c.destroy().catch(() => undefined)));
    this.#clients.clear();
  }

  #tick(): void {
    for (const u of this.membership.upstreams) if (!this.#running.has(u)) void this.#probe(u);
  }

  async #probe(u: Upstream): Promise<void> {
    this.#running.add(u);
    const t0 = performance.now();
    const { ok, store } = await this.#check(u);
    this.#running.delete(u);
    if (u.removed || !this.#timer) return;
    const now = performance.now();
    u.probeMs = ok ? now - t0 : undefined;
    if (store !== undefined) u.probeStore = store;
    u.health.onProbe(ok, now);
  }

  /** Passed or not, and the store driver a Miniscale node names in its answer (`{"store": "redis"}`). */
  async #check(u: Upstream): Promise<{ ok: boolean; store?: string }> {
    let client = this.#clients.get(u);
    if (!client) {
      client = new Client(new URL(u.url).origin, { pipelining: 1, connect: { timeout: this.s.timeoutMs } });
      this.#clients.set(u, client);
    }
    try {
      const res = await client.request({
        path: this.s.path,
        method: 'GET',
        headers: { 'user-agent': 'miniscale-gateway-probe' },
        headersTimeout: this.s.timeoutMs,
        bodyTimeout: this.s.timeoutMs,
        signal: AbortSignal.timeout(this.s.timeoutMs),
      });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        return { ok: false };
      }
      return { ok: true, store: storeNamed(await res.body.text()) };
    } catch (err) {
      this.log.debug({ err, upstream: u.url }, 'health probe failed');
      return { ok: false };
    }
  }

  #forget(u: Upstream): void {
    const c = this.#clients.get(u);
    this.#clients.delete(u);
    void c?.close().catch(() => undefined);
  }
}

function storeNamed(body: string): string | undefined {
  try {
    const store = (JSON.parse(body) as { store?: unknown }).store;
    return typeof store === 'string' ? store : undefined;
  } catch {
    return undefined; // not a Miniscale node, or not JSON: the probe passed all the same
  }
}
