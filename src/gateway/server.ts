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
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { handleAdmin, isAdminPath } from './admin.js';
import { proxyRequest } from './proxy/index.js';
import { sendError, writeRawError } from './proxy/respond.js';
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
  const o = gw.options;
  const active = { count: 0 };
  const upgraded = new Set<Socket>();
  const server = http.createServer({
    maxHeaderSize: o.maxHeaderBytes,
    insecureHTTPParser: false,
    requestTimeout: o.requestTimeoutMs,
    headersTimeout: o.headersTimeoutMs,
    keepAliveTimeout: o.clientIdleTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(o.headersTimeoutMs / 4))),
    noDelay: true,
    // Checked in onRequest instead, so the 400 is in the API's error format.
    requireHostHeader: false,
  }, (req, res) => onRequest(gw, req, res, active));
  server.keepAliveTimeout = o.clientIdleTimeoutMs;
  server.timeout = o.socketTimeoutMs;
  // A client may send its request and then shut down its sending side (FIN) while it
  // waits for the answer (HTTP/1.0 tools, `nc -N`, some embedded clients). Node's server
  // by default takes that FIN as the client leaving: it aborts the request and ends the
  // socket, so the upstream's answer (say, a 413) is lost and the client gets nothing.
  // With half-open allowed it answers, then closes. Node has the switch on every
  // http.Server but no constructor option for it; slow or silent clients are still cut
  // off by the request and idle timeouts above.
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(gw, err, socket));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handleUpgrade(gw, req, socket, head, upgraded));
  return { server, active, upgraded };
}

function onRequest(gw: GatewayRuntime, req: IncomingMessage, res: ServerResponse, active: { count: number }): void {
  const url = req.url ?? '';
  if (url.length > gw.options.maxUrlBytes) {
    gw.metrics.clientErrors.inc({ reason: 'URI_TOO_LONG' });
    sendError(res, 'URI_TOO_LONG', `the URL is over ${gw.options.maxUrlBytes} bytes`, { close: true });
    return;
  }
  if (req.headers.host === undefined && req.httpVersionMinor >= 1) {
    gw.metrics.clientErrors.inc({ reason: 'NO_HOST' });
    sendError(res, 'VALIDATION_FAILED', 'an HTTP/1.1 request needs a Host header', { close: true });
    return;
  }
  if (isAdminPath(url)) {
    handleAdmin(gw, req, res).catch((err: unknown) => {
      gw.log.error({ err }, 'admin route failed');
      sendError(res, 'INTERNAL', 'the admin route failed');
    });
    return;
  }
  proxyRequest(gw, req, res, active);
}

/**
 * A request Node could not parse, or a client too slow to send one. The answer goes
 * straight to the socket, then it is closed: after a framing error the rest of the
 * stream cannot be trusted (that is what request smuggling exploits).
 */
function onClientError(gw: GatewayRuntime, err: NodeJS.ErrnoException, socket: Socket): void {
  const code = err.code ?? 'UNKNOWN';
  gw.metrics.clientErrors.inc({ reason: code });
  // Node's own default handler makes the same check: a response already under way
  // on this socket (a pipelined request failed) cannot get a second status line.
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  gw.log.debug({ code, peer: socket.remoteAddress }, 'client error');
  if (code === 'HPE_HEADER_OVERFLOW') {
    writeRawError(socket, 431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', `the request headers are over ${gw.options.maxHeaderBytes} bytes`);
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    writeRawError(socket, 408, 'Request Timeout', undefined, '');
  } else {
    writeRawError(socket, 400, 'Bad Request', 'VALIDATION_FAILED', `malformed or ambiguous request (${code})`);
  }
}
