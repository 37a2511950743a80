/**
 * The set of upstreams: a static list, plus whatever a discovery source says (the
 * store's registry, `up`'s supervisor). The list is copy-on-write — a request iterating
 * it never sees it change underfoot — and a removed upstream keeps serving what it
 * already has: its pool is closed gracefully (undici waits for running and queued
 * requests) and only new picks skip it.
 *
 * It is also the one owner of drain state: the admin API's drains (a record by name
 * that outlives an upstream's removal, so a re-added upstream comes back drained) and
 * the registry's draining flags. Everyone else asks it.
 */
import type { Logger } from '../../core/logging.js';
import { AdminDrains } from './admin-drains.js';
import type { HealthEvent } from '../health/state.js';
import { Upstream, type UpstreamSettings } from './upstream.js';

export type MembershipListener = (event: 'added' | 'removed', upstream: Upstream) => void;

export class Membership {
  #upstreams: readonly Upstream[] = [];
  readonly #listeners: MembershipListener[] = [];
  readonly #drains = new AdminDrains();

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
    this.#applyAdminDrain(u, 'a drain recorded earlier');
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

  /** By host:port, URL or registry node id. */
  find(ref: string): Upstream | undefined {
    return this.#upstreams.find((u) => u.matches(ref));
  }

  /**
   * Drains (or undrains) through the admin API what `ref` (URL, host:port or node id)
   * names: the upstream present now, and it or any upstream at that URL added later.
   * A drain of a reference no present upstream matches is recorded as given. Returns the
   * present upstream, if any.
   */
  setAdminDrained(ref: string, draining: boolean): Upstream | undefined {
    const u = this.find(ref);
    if (draining) this.#drains.add(u ? u.url : ref);
    else {
      this.#drains.delete(ref);
      if (u) this.#drains.delete(u);
    }
    if (u) this.#applyAdminDrain(u, 'the admin API');
    return u;
  }

  /**
   * Makes exactly the upstreams `refs` name the ones drained by the admin API, now and
   * as they are added later (a node discovered after another worker drained it). How a
   * multi-worker gateway's primary hands a worker its set of drains, whatever the worker
   * missed while it started.
   */
  replaceAdminDrains(refs: readonly string[]): void {
    this.#drains.replace(refs);
    for (const u of this.#upstreams) this.#applyAdminDrain(u, 'the admin API (through another worker)');
  }

  /** The admin API's drains, as recorded (present upstreams or not). */
  get adminDrains(): readonly string[] {
    return this.#drains.refs;
  }

  /** What the store's node registry says of an upstream's node (discovery/registry.ts). */
  setRegistryDraining(u: Upstream, draining: boolean): void {
    u.health.drainingByRegistry = draining;
  }

  #applyAdminDrain(u: Upstream, by: string): void {
    const draining = this.#drains.covers(u);
    if (u.health.drainingByAdmin === draining) return;
    u.health.drainingByAdmin = draining;
    this.log.info({ upstream: u.url, draining, inflight: u.inflight }, `upstream ${draining ? 'drained' : 'undrained'} by ${by}`);
  }

  async close(): Promise<void> {
    const all = this.#upstreams;
    this.#upstreams = [];
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => undefined)));
  }
}
