/**
 * The reserved `/_gateway/` prefix on the proxy port (never proxied), answered to
 * loopback clients or with the admin key (src/http/admin-access.ts says who exactly) —
 * except the console page itself, which holds no data: a browser cannot attach the key
 * to a page load, so the page asks for it and sends it on every request it makes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_ACCESS_MESSAGE, ADMIN_PREFIX, mayAdminister } from '../../http/admin-access.js';
import { CONSOLE_PAGE_HEADERS, CONSOLE_PAGE_HTML, isConsolePagePath } from '../../console/page.js';
import { resolveClient } from '../proxy/forwarded.js';
import { sendError } from '../proxy/respond.js';
import type { GatewayRuntime } from '../runtime.js';
import type { UpstreamView } from '../types.js';
import type { Upstream } from '../upstreams/upstream.js';

export { ADMIN_PREFIX, isAdminPath, isLoopbackHost } from '../../http/admin-access.js';

export function upstreamsView(gw: GatewayRuntime): { algorithm: string; upstreams: UpstreamView[] } {
  const now = performance.now();
  return { algorithm: gw.options.balancing.algorithm, upstreams: gw.membership.upstreams.map((u) => upstreamView(u, now)) };
}

export function upstreamView(u: Upstream, now: number): UpstreamView {
  return {
    url: u.url,
    // Known for a discovered upstream: the console names its row, and drains it, by node id.
    ...(u.nodeId !== undefined ? { nodeId: u.nodeId } : {}),
    state: u.state(now),
    inflight: u.inflight,
    ewmaMs: Math.round(u.latency.value(now) * 1000) / 1000,
    requests: u.requests,
    failures: u.failures,
  };
}

export async function handleAdmin(gw: GatewayRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  if (isConsolePagePath(path)) {
    return only(method, 'GET', res, () => {
      res.writeHead(200, { ...CONSOLE_PAGE_HEADERS, 'content-length': Buffer.byteLength(CONSOLE_PAGE_HTML) });
      res.end(method === 'HEAD' ? undefined : CONSOLE_PAGE_HTML);
    });
  }
  const client = resolveClient(req.socket.remoteAddress, req.headers['x-forwarded-for'], gw.trusted);
  const allowed = mayAdminister(
    { client: client.client, host: req.headers.host, origin: req.headers.origin, authorization: req.headers.authorization },
    gw.options.admin.key,
  );
  if (!allowed) {
    sendError(res, 'FORBIDDEN', ADMIN_ACCESS_MESSAGE);
    return;
  }
  // In a multi-worker gateway these answer for all workers, through the primary.
  if (path === `${ADMIN_PREFIX}/stats`) {
    return only(method, 'GET', res, async () => sendJson(res, 200, gw.cluster ? await gw.cluster.stats() : gw.stats!.report()));
  }
  if (path === `${ADMIN_PREFIX}/upstreams`) {
    return only(method, 'GET', res, async () => sendJson(res, 200, gw.cluster ? await gw.cluster.view() : upstreamsView(gw)));
  }
  if (path === `${ADMIN_PREFIX}/metrics`) {
    return only(method, 'GET', res, async () =>
      send(res, 200, gw.metrics.registry.contentType, gw.cluster ? await gw.cluster.metrics() : await gw.metrics.registry.metrics()),
    );
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

/**
 * Drains (or undrains) an upstream in this process, through its Membership; its view,
 * or undefined when there is no such upstream (and then nothing is recorded).
 */
export function setDraining(gw: GatewayRuntime, ref: string, draining: boolean): UpstreamView | undefined {
  if (!gw.membership.find(ref)) return undefined;
  const u = gw.membership.setAdminDrained(ref, draining)!;
  return upstreamView(u, performance.now());
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
