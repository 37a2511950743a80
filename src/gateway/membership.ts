/**
 * The set of upstreams: a static list, plus whatever the registry says (discovery.ts).
 * The list is copy-on-write — a request iterating it never sees it change underfoot —
 * and a removed upstream keeps serving what it already has: its pool is closed
 * gracefully (undici waits for running and queued requests) and only new picks skip it.
 */
import type { Logger } from '../core/logging.js';
import type { HealthEvent } from './health/state.js';
import { Upstream, type UpstreamSettings } from './upstream.js';

export type MembershipListener = (event: 'added' | 'removed', upstream: Upstream) => void;

export class Membership {
  #upstreams: readonly Upstream[] = [];
  readonly #listeners: MembershipListener[] = [];
  /** A multi-worker gateway's set of admin drains (see setAdminDrained); empty otherwise. */
  #adminDrained: readonly string[] = [];

  constructor(
    private readonly settings: UpstreamSettings,
    private readonly log: Logger,
    private readonly onHealthEvent: (u: Upstream, e: HealthEvent) => void,
  ) {}

  get upstreams(): readonly Upstream[] {
    return this.#upstreams;
  }

  onChange(listener: MembershipListener): void {
    this.#listeners.push(listener);
  }

  add(url: string, opts: { nodeId?: string; slowStart: boolean }): Upstream {
    const u = new Upstream(url, opts.nodeId, this.settings, performance.now(), {
      slowStart: opts.slowStart,
      onHealthEvent: this.onHealthEvent,
    });
    this.#upstreams = [...this.#upstreams, u];
    this.log.info({ upstream: url, nodeId: opts.nodeId }, 'upstream added');
    this.#applyAdminDrain(u);
    for (const l of this.#listeners) l('added', u);
    return u;
  }

  remove(u: Upstream): void {
    if (u.removed) return;
    u.removed = true;
    this.#upstreams = this.#upstreams.filter((x) => x !== u);
    this.log.info({ upstream: u.url, nodeId: u.nodeId, inflight: u.inflight }, 'upstream removed; finishing its in-flight requests');
    for (const l of this.#listeners) l('removed', u);
    u.pool.close().catch((err: unknown) => this.log.warn({ err, upstream: u.url }, 'closing the pool failed'));
  }

  /**
   * Makes exactly the upstreams `refs` name (URL, host:port or node id) the ones drained
   * by the admin API, now and as they are added later (a node discovered after another
   * worker drained it). How a multi-worker gateway's primary hands a worker its set of
   * drains, whatever the worker missed while it started.
   */
  setAdminDrained(refs: readonly string[]): void {
    this.#adminDrained = refs;
    for (const u of this.#upstreams) this.#applyAdminDrain(u);
  }

  #applyAdminDrain(u: Upstream): void {
    const draining = this.#adminDrained.some((ref) => u.matches(ref));
    if (u.health.drainingByAdmin === draining) return;
    u.health.drainingByAdmin = draining;
    this.log.info(
      { upstream: u.url, draining, inflight: u.inflight },
      `upstream ${draining ? 'drained' : 'undrained'} by the admin API (through another worker)`,
    );
  }

  /** By host:port, URL or registry node id. */
  find(ref: string): Upstream | undefined {
    return this.#upstreams.find((u) => u.matches(ref));
  }

  async close(): Promise<void> {
    const all = this.#upstreams;
    this.#upstreams = [];
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => undefined)));
  }
}
