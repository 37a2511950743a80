/**
 * WebSocket pass-through. The client's `Upgrade: websocket` request goes through its
 * passes (upgrade-passes.ts); then the gateway opens a plain TCP connection to a picked
 * upstream, writes the request (forwarded headers set, hop-by-hop ones stripped except
 * the upgrade pair), and relays bytes both ways with pipe() — backpressure included — until either side
 * closes. Both sockets get error listeners (an unhandled socket error would kill the
 * process) and are destroyed together. The upstream's answer, 101 or not, reaches the
 * client unchanged.
 */
import type { IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import type { GatewayRuntime } from '../runtime.js';
import { writeRawError } from './respond.js';
import { runUpgradePasses } from './upgrade-passes.js';

export function handleUpgrade(gw: GatewayRuntime, req: IncomingMessage, socket: Socket, head: Buffer, live: Set<Socket>): void {
  socket.on('error', () => socket.destroy());
  const ctx = runUpgradePasses(gw, req, socket);
  if (!ctx) return;
  const { id } = ctx;
  const upstream = gw.balancer.pick({ now: performance.now(), hashKey: ctx.hashKey }, []);
  if (!upstream) {
    writeRawError(socket, 'UPSTREAM_UNAVAILABLE', 'no upstream is available', id);
    return;
  }
  let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const headers = ctx.upstreamHeaders;
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
      writeRawError(socket, 'UPSTREAM_UNAVAILABLE', 'the upstream could not be reached', id);
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
