/**
 * The reserved `/_gateway/` prefix on the proxy port (never proxied). Answered to
 * loopback clients — after trusted proxies, so a proxy on the same host does not make
 * every client "local" — or to anyone with `Authorization: Bearer ADMIN_KEY`.
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
  if (!isLoopback(client.client) && !isAdminKey(bearerToken(req.headers.authorization), gw.options.adminKey)) {
    sendError(res, 'FORBIDDEN', '/_gateway/ is answered to loopback clients, or with Authorization: Bearer ADMIN_KEY');
    return;
  }
  const path = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  if (path === ADMIN_PREFIX) return only(method, 'GET', res, () => send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML));
  if (path === `${ADMIN_PREFIX}/upstreams`) return only(method, 'GET', res, () => sendJson(res, 200, upstreamsView(gw)));
  if (path === `${ADMIN_PREFIX}/metrics`) {
    if (method !== 'GET') return only(method, 'GET', res, () => undefined);
    send(res, 200, gw.metrics.registry.contentType, await gw.metrics.registry.metrics());
    return;
  }
  const m = /^\/_gateway\/upstreams\/([^/]+)\/(drain|undrain)$/.exec(path);
  if (m) {
    return only(method, 'POST', res, () => {
      const ref = safeDecode(m[1]!);
      const u = ref === undefined ? undefined : gw.membership.find(ref);
      if (!u) return sendError(res, 'NOT_FOUND', `no upstream "${m[1]}" (use host:port, the URL, or the node id)`);
      u.health.drainingByAdmin = m[2] === 'drain';
      gw.log.info({ upstream: u.url, draining: u.health.drainingByAdmin, inflight: u.inflight }, `upstream ${m[2]}ed by the admin API`);
      sendJson(res, 200, view(u, performance.now()));
    });
  }
  sendError(res, 'NOT_FOUND', `no admin route ${method} ${path}`);
}

function only(method: string, allowed: string, res: ServerResponse, then: () => void): void {
  if (method === allowed || (allowed === 'GET' && method === 'HEAD')) {
    then();
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
