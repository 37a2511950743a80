/**
 * What `startGateway` hands its caller: where it listens, its upstreams as a read-only
 * view, and the few operations an embedder needs (undici's BalancedPool: add and
 * remove an upstream; plus drains, which Membership keeps) — never the live objects
 * the request path shares.
 */
import { upstreamView, upstreamsView } from './admin/routes.js';
import { checkUpstreamUrl } from './options.js';
import type { GatewayRuntime } from './runtime.js';
import type { UpstreamView } from './types.js';

export interface RunningGateway {
  /** `http://host:port` to send requests to (127.0.0.1 when listening on every address). */
  readonly url: string;
  readonly port: number;
  /** The balancing algorithm in use. */
  readonly algorithm: string;
  /** Every upstream as the admin API shows it, at the moment of reading. */
  readonly upstreams: readonly UpstreamView[];
  /**
   * Adds an upstream (`http://host:port`); nothing when one at that address is present.
   * `slowStart` ramps it up as a returning node. @default false
   */
  addUpstream(url: string, opts?: { slowStart?: boolean }): void;
  /** Removes an upstream (URL or host:port); its in-flight requests finish. False when there is none. */
  removeUpstream(ref: string): boolean;
  /**
   * Drains an upstream (URL, host:port or node id) as the admin API does: no new
   * requests, now and whenever an upstream at that URL is added again. Its view, or
   * undefined when none is present (the drain is recorded all the same).
   */
  drain(ref: string): UpstreamView | undefined;
  /** Undoes `drain`; the upstream's view, or undefined when none is present. */
  undrain(ref: string): UpstreamView | undefined;
  /** Stops taking connections, lets in-flight requests finish (up to the close grace), then stops. */
  close(): Promise<void>;
}

export function gatewayHandle(gw: GatewayRuntime, where: { url: string; port: number }, close: () => Promise<void>): RunningGateway {
  const { membership } = gw;
  const drain = (ref: string, draining: boolean): UpstreamView | undefined => {
    const u = membership.setAdminDrained(ref, draining);
    return u && upstreamView(u, performance.now());
  };
  return {
    url: where.url,
    port: where.port,
    algorithm: gw.options.balancing.algorithm,
    get upstreams() {
      return upstreamsView(gw).upstreams;
    },
    addUpstream(url, opts = {}) {
      const checked = checkUpstreamUrl(url, 'addUpstream');
      if (!membership.find(new URL(checked).host)) membership.add(checked, { slowStart: opts.slowStart ?? false });
    },
    removeUpstream(ref) {
      const u = membership.find(ref);
      if (u) membership.remove(u);
      return u !== undefined;
    },
    drain: (ref) => drain(ref, true),
    undrain: (ref) => drain(ref, false),
    close,
  };
}
