/**
 * The client-facing HTTP server: Node's parser with its strict defaults (no
 * insecureHTTPParser: CL+TE, bare CR, NUL and obs-fold are parse errors), our limits
 * and timeouts, the reserved admin prefix, and WebSocket upgrades.
 *
 * Slow clients cannot pin it: `headersTimeout` bounds the time to send the headers
 * (slowloris), `requestTimeout` the whole request including its body, the keep-alive
 * idle timeout closes quiet connections, and the socket timeout closes a client that
 * stops reading a response. Node checks the first two every `connectionsCheckingInterval`.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerClientError } from '../http/client-error.js';
import type { ParserError } from '../http/parse-errors.js';
import { handleAdmin, isAdminPath } from './admin/routes.js';
import { proxyRequest } from './proxy/index.js';
import { requestIdOf } from './proxy/passes.js';
import { sendError } from './proxy/respond.js';
import { edgeRefusal } from './proxy/edge.js';
import { handleUpgrade } from './proxy/upgrade.js';
import type { GatewayRuntime } from './runtime.js';

export interface GatewayServer {
  readonly server: http.Server;
  /** Proxied requests being answered right now. */
  readonly active: { count: number };
  /** Upgraded (WebSocket) client sockets being relayed. */
  readonly upgraded: Set<Socket>;
}

export function createGatewayServer(gw: GatewayRuntime): GatewayServer {
  const { limits, timeouts } = gw.options;
  const active = { count: 0 };
  const upgraded = new Set<Socket>();
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      insecureHTTPParser: false,
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      keepAliveTimeout: timeouts.clientIdleMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(timeouts.headersMs / 4))),
      noDelay: true,
      // Checked in onRequest instead, so the 400 is in the API's error format.
      requireHostHeader: false,
    },
    (req, res) => onRequest(gw, req, res, active),
  );
  server.keepAliveTimeout = timeouts.clientIdleMs;
  server.timeout = timeouts.socketMs;
  // A client may send its request and then shut down its sending side (FIN) while it
  // waits for the answer (HTTP/1.0 tools, `nc -N`, some embedded clients). Node's server
  // by default takes that FIN as the client leaving: it aborts the request and ends the
  // socket, so the upstream's answer (say, a 413) is lost and the client gets nothing.
  // With half-open allowed it answers, then closes. Node has the switch on every
  // http.Server but no constructor option for it; slow or silent clients are still cut
  // off by the request and idle timeouts above.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (err: ParserError, socket: Socket) => onClientError(gw, err, socket));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(gw, req, socket, head, upgraded));
  return { server, active, upgraded };
}

function onRequest(gw: GatewayRuntime, req: IncomingMessage, res: ServerResponse, active: { count: number }): void {
  const refused = edgeRefusal(req, gw.options.limits);
  if (refused) {
    gw.metrics.clientErrors.inc({ reason: refused.reason });
    sendError(res, refused.code, refused.message, { requestId: requestIdOf(req), close: true });
    return;
  }
  if (isAdminPath(req.url ?? '')) {
    handleAdmin(gw, req, res).catch((err: unknown) => {
      gw.log.error({ err }, 'admin route failed');
      sendError(res, 'INTERNAL', 'the admin route failed');
    });
    return;
  }
  proxyRequest(gw, req, res, active);
}

/**
 * A request Node could not parse, or a client too slow to send one: answered straight
 * to the socket in the API's error format, then closed lingering (src/http/client-error.ts,
 * shared with the API node) — a URL over the limit gets its 414 even when Node's parser
 * saw it as a header overflow.
 */
function onClientError(gw: GatewayRuntime, err: ParserError, socket: Socket): void {
  const outcome = answerClientError(err, socket, gw.options.limits, () => [['X-Request-Id', randomUUID()]]);
  if (outcome.kind === 'lingering') return;
  gw.metrics.clientErrors.inc({ reason: err.code ?? 'UNKNOWN' });
  if (outcome.kind === 'answered')
    gw.log.debug({ code: err.code, answer: outcome.answer.code, peer: socket.remoteAddress }, 'client error');
}
