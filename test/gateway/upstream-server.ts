/**
 * A real upstream for gateway tests, run as a child process:
 *   node --import tsx test/gateway/upstream-server.ts --id NAME [--latency MS] [--fail-status 503 --fail-rate 1]
 * Knobs can be changed while it runs with `POST /_knobs {json}`. It prints one JSON line
 * `{"event":"listening","url","id","pid"}` when ready.
 *
 * Routes: GET /readyz (200, or 503 when `ready` is false); POST /_knobs; GET /_stats
 * (requests seen by method and path, control routes excluded); /die (reads the request,
 * then SIGKILLs itself: an upstream that dies mid-request); /hang (never answers);
 * /stream?bytes=N (N bytes, honouring backpressure); /upload (consumes the body, answers
 * its size and sha256); /hop (answers with hop-by-hop headers); /echo: JSON
 * `{id, method, url, headers, rawHeaders}`; anything else: `{id}` (plus `bytes` and
 * `sha256` of a body, if any) — both after the
 * configured latency and subject to the failure knobs. Every answer carries
 * `x-upstream-id`, and echoes an `x-bench-sent` request header. WebSocket upgrades are echoed back prefixed with the id.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

interface Knobs {
  latencyMs: number;
  failStatus: number;
  failRate: number;
  resetRate: number;
  ready: boolean;
}

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: 'u' },
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '0' },
    'fail-status': { type: 'string', default: '503' },
    'fail-rate': { type: 'string', default: '0' },
    'keep-alive-timeout': { type: 'string', default: '5000' },
  },
});
const id = values.id;
const knobs: Knobs = {
  latencyMs: Number(values.latency),
  failStatus: Number(values['fail-status']),
  failRate: Number(values['fail-rate']),
  resetRate: 0,
  ready: true,
};
const stats = { total: 0, byMethod: {} as Record<string, number>, byPath: {} as Record<string, number> };
const CONTROL = new Set(['/readyz', '/_knobs', '/_stats']);

const server = http.createServer((req, res) => {
  res.setHeader('x-upstream-id', id);
  // The benchmark's client-side request timing (bench/support/request-timing.lua).
  const sent = req.headers['x-bench-sent'];
  if (typeof sent === 'string') res.setHeader('x-bench-sent', sent);
  const path = (req.url ?? '/').split('?')[0]!;
  if (!CONTROL.has(path)) {
    stats.total++;
    stats.byMethod[req.method!] = (stats.byMethod[req.method!] ?? 0) + 1;
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
  }
  route(req, res, path).catch((err: unknown) => {
    res.statusCode = 500;
    res.end(String(err));
  });
});
server.keepAliveTimeout = Number(values['keep-alive-timeout']);

async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  switch (path) {
    case '/readyz':
      return json(res, knobs.ready ? 200 : 503, { ready: knobs.ready });
    case '/_knobs':
      if (req.method === 'POST') Object.assign(knobs, JSON.parse((await readBody(req)).toString() || '{}') as Partial<Knobs>);
      return json(res, 200, knobs);
    case '/_stats':
      return json(res, 200, { id, ...stats });
    case '/die':
      await readBody(req);
      process.kill(process.pid, 'SIGKILL');
      return;
    case '/hang':
      return;
    case '/stream':
      return stream(res, Number(new URL(req.url!, 'http://x').searchParams.get('bytes') ?? 0));
    case '/upload': {
      const body = await readBody(req);
      return json(res, 200, { id, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    }
    case '/hop':
      res.setHeader('connection', 'x-hop-secret');
      res.setHeader('x-hop-secret', 'must-not-reach-the-client');
      res.setHeader('keep-alive', 'timeout=5');
      res.setHeader('proxy-authenticate', 'Basic realm="upstream"');
      res.setHeader('trailer', 'x-checksum');
      res.setHeader('upgrade', 'h2c');
      res.setHeader('x-end-to-end', 'kept');
      // Chunked, as a Trailer header requires.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ id }));
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
      return;
    default: {
      const body = await readBody(req);
      if (knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, knobs.latencyMs));
      if (knobs.resetRate > 0 && Math.random() < knobs.resetRate) {
        req.socket.resetAndDestroy();
        return;
      }
      if (knobs.failRate > 0 && Math.random() < knobs.failRate) return json(res, knobs.failStatus, { id, failed: true });
      if (path === '/echo')
        return json(res, 200, { id, method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
      // A body is acknowledged by its size and digest, so a replay can be checked byte for byte.
      return json(res, 200, body.length > 0 ? { id, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') } : { id });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function stream(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
  const chunk = Buffer.alloc(16 * 1024, 'x');
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(JSON.stringify({ id, headers: req.headers }));
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `${id}:${data.toString()}`, { binary: isBinary }));
  });
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${port}`, id, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
