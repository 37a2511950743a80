/**
 * The reserved `/_gateway/` prefix on the proxy port (never proxied). Answered to
 * loopback clients — after trusted proxies, so a proxy on the same host does not make
 * every client "local" — or to anyone with `Authorization: Bearer ADMIN_KEY`.
 *
 * "Loopback" also means the request was *addressed* to the loopback: a Host of
 * localhost / 127.x / [::1], and no Origin other than such a host. Otherwise a web page
 * open in a browser on the same machine could drain nodes with a cross-site POST
 * (its Origin is the page's), or through DNS rebinding (its Host is the attacker's
 * name resolving to 127.0.0.1). Such requests need the admin key like remote ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, isAdminKey } from '../http/admin-key.js';
import { DASHBOARD_HTML } from './dashboard.js';
import { isLoopback, resolveClient } from './proxy/forwarded.js';
import { sendError } from './proxy/respond.js';
import type { GatewayRuntime } from './runtime.js';
import type { Upstream } from './upstream.js';

export const ADMIN_PREFIX = '/_gateway';

export function isAdminPath(url: string): boolean {
  return url.startsWith(ADMIN_PREFIX) && (url.length === ADMIN_PREFIX.length || '/?'.includes(url[ADMIN_PREFIX.length]!));
}

/** localhost, 127.x.y.z or [::1], with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.toLowerCase() === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return isLoopbackHost(new URL(origin).host);
  } catch {
    return false; // "null" (a sandboxed page, a file://) or garbage: not ours
  }
}

export interface UpstreamView {
  url: string;
  state: string;
  inflight: number;
  ewmaMs: number;
  requests: number;
  failures: number;
}

export function upstreamsView(gw: GatewayRuntime): { algorithm: string; upstreams: UpstreamView[] } {
  const now = performance.now();
  return { algorithm: gw.options.algorithm, upstreams: gw.membership.upstreams.map((u) => view(u, now)) };
}

function view(u: Upstream, now: number): UpstreamView {
  return {
    url: u.url,
    state: u.state(now),
    inflight: u.inflight,
    ewmaMs: Math.round(u.latency.value(now) * 1000) / 1000,
    requests: u.requests,
    failures: u.failures,
  };
}

export async function handleAdmin(gw: GatewayRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const client = resolveClient(req.socket.remoteAddress, req.headers['x-forwarded-for'], gw.trusted);
  const local = isLoopback(client.client) && isLoopbackHost(req.headers.host) && (req.headers.origin === undefined || isLoopbackOrigin(req.headers.origin));
  if (!local && !isAdminKey(bearerToken(req.headers.authorization), gw.options.adminKey)) {
    sendError(res, 'FORBIDDEN', '/_gateway/ is answered to loopback clients addressing a loopback host (no foreign Origin), or with Authorization: Bearer ADMIN_KEY');
    return;
  }
  const path = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  if (path === ADMIN_PREFIX) return only(method, 'GET', res, () => send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML));
  // In a multi-worker gateway these three answer for all workers, through the primary.
  if (path === `${ADMIN_PREFIX}/upstreams`) {
    return only(method, 'GET', res, async () => sendJson(res, 200, gw.cluster ? await gw.cluster.view() : upstreamsView(gw)));
  }
  if (path === `${ADMIN_PREFIX}/metrics`) {
    return only(method, 'GET', res, async () => send(res, 200, gw.metrics.registry.contentType, gw.cluster ? await gw.cluster.metrics() : await gw.metrics.registry.metrics()));
  }
  const m = /^\/_gateway\/upstreams\/([^/]+)\/(drain|undrain)$/.exec(path);
  if (m) {
    return only(method, 'POST', res, async () => {
      const ref = safeDecode(m[1]!);
      const draining = m[2] === 'drain';
      let found: UpstreamView | undefined;
      if (ref !== undefined) found = gw.cluster ? await gw.cluster.setDraining(ref, draining) : setDraining(gw, ref, draining);
      if (!found) return sendError(res, 'NOT_FOUND', `no upstream "${m[1]}" (use host:port, the URL, or the node id)`);
      sendJson(res, 200, found);
    });
  }
  sendError(res, 'NOT_FOUND', `no admin route ${method} ${path}`);
}

/** Marks an upstream draining (or not) in this process; its view, or undefined when there is no such upstream. */
export function setDraining(gw: GatewayRuntime, ref: string, draining: boolean): UpstreamView | undefined {
  const u = gw.membership.find(ref);
  if (!u) return undefined;
  u.health.drainingByAdmin = draining;
  gw.log.info({ upstream: u.url, draining, inflight: u.inflight }, `upstream ${draining ? 'drained' : 'undrained'} by the admin API`);
  return view(u, performance.now());
}

async function only(method: string, allowed: string, res: ServerResponse, then: () => void | Promise<void>): Promise<void> {
  if (method === allowed || (allowed === 'GET' && method === 'HEAD')) {
    await then();
    return;
  }
  res.setHeader('allow', allowed === 'GET' ? 'GET, HEAD' : allowed);
  sendError(res, 'METHOD_NOT_ALLOWED', `use ${allowed}`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
