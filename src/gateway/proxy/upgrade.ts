/**
 * WebSocket pass-through. After the client's `Upgrade: websocket` request, the
 * gateway opens a plain TCP connection to a picked upstream, writes the request
 * (forwarded headers set, hop-by-hop ones stripped except the upgrade pair), and then
 * relays bytes both ways with pipe() — backpressure included — until either side
 * closes. Both sockets get error listeners (an unhandled socket error would kill the
 * process) and are destroyed together. The upstream's answer, 101 or not, reaches the
 * client unchanged.
 */
import type { IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { GatewayRuntime } from '../runtime.js';
import { resolveClient } from './forwarded.js';
import { buildUpstreamHeaders } from './passes.js';
import { writeRawError } from './respond.js';

export function handleUpgrade(gw: GatewayRuntime, req: IncomingMessage, socket: Socket, head: Buffer, live: Set<Socket>): void {
  socket.on('error', () => socket.destroy());
  const url = req.url ?? '';
  if (!url.startsWith('/') || url.startsWith('/_gateway')) {
    writeRawError(socket, 404, 'Not Found', 'NOT_FOUND', 'nothing to upgrade here');
    return;
  }
  if (Buffer.byteLength(url) > gw.options.limits.maxUrlBytes) {
    writeRawError(socket, 414, 'URI Too Long', 'URI_TOO_LONG', `the URL is over ${gw.options.limits.maxUrlBytes} bytes`);
    return;
  }
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
    writeRawError(socket, 400, 'Bad Request', 'VALIDATION_FAILED', 'only Upgrade: websocket is supported');
    return;
  }
  const client = resolveClient(socket.remoteAddress, req.headers['x-forwarded-for'], gw.trusted);
  const upstream = gw.balancer.pick({ now: performance.now(), hashKey: client.client }, []);
  if (!upstream) {
    writeRawError(socket, 502, 'Bad Gateway', 'UPSTREAM_UNAVAILABLE', 'no upstream is available');
    return;
  }
  const id = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID();
  const headers = buildUpstreamHeaders(req, client, id);
  headers.push('connection', 'Upgrade', 'upgrade', req.headers.upgrade);
  let lines = `${req.method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;

  upstream.requests++;
  const conn = net.connect({ host: upstream.host, port: upstream.port });
  let connected = false;
  conn.setTimeout(gw.options.timeouts.connectMs, () => conn.destroy(new Error('connect timeout')));
  conn.on('connect', () => {
    connected = true;
    conn.setTimeout(0);
    conn.setNoDelay(true);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    live.add(socket);
    gw.metrics.websockets.inc();
    conn.write(`${lines}\r\n`);
    if (head.length > 0) conn.write(head);
    conn.pipe(socket);
    socket.pipe(conn);
  });
  conn.on('error', (err) => {
    if (!connected) {
      upstream.failures++;
      upstream.health.onFailure(performance.now());
      gw.log.warn({ reqId: id, upstream: upstream.url, err: err.message }, 'websocket upstream connect failed');
      writeRawError(socket, 502, 'Bad Gateway', 'UPSTREAM_UNAVAILABLE', 'the upstream could not be reached');
    }
    conn.destroy();
  });
  conn.on('close', () => {
    if (connected) socket.destroy();
  });
  socket.on('close', () => {
    conn.destroy();
    if (live.delete(socket)) gw.metrics.websockets.dec();
  });
}
