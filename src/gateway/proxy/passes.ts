/**
 * A proxied request goes through these passes in order (as in httpxy and
 * node-http-proxy): each does one thing to the context and returns true to go on, or
 * answers the client itself and returns false. Each is testable alone; forward.ts
 * runs last. Adding a concern means adding a pass, not a branch somewhere in the middle.
 */
import { PayloadTooLargeError } from '../../core/errors.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { REQUEST_ID } from '../../core/request-id.js';
import { closeLingering } from '../../http/lingering-close.js';
import type { GatewayRuntime } from '../runtime.js';
import type { ProxyContext } from './context.js';
import { resolveClient, type ClientAddress } from './forwarded.js';
import { HOP_BY_HOP, connectionNamed } from './hop-by-hop.js';
import { sendError } from './respond.js';

export interface RequestPass {
  readonly name: string;
  run(ctx: ProxyContext, gw: GatewayRuntime): boolean;
}

/** Keeps a sane client X-Request-Id so one id follows a request end to end; else makes one. */
export const requestId: RequestPass = {
  name: 'requestId',
  run(ctx) {
    ctx.id = requestIdOf(ctx.req);
    return true;
  },
};

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Origin-form only upstream. Absolute-form (`GET http://host/path`) is legal from
 * clients and turned into origin-form; `*` and anything else cannot be forwarded.
 */
export const targetPath: RequestPass = {
  name: 'targetPath',
  run(ctx) {
    const url = ctx.req.url ?? '';
    if (url.startsWith('/')) {
      ctx.path = url;
      return true;
    }
    if (/^https?:\/\//i.test(url)) {
      try {
        const u = new URL(url);
        ctx.path = u.pathname + u.search;
        return true;
      } catch {
        /* falls through to 400 */
      }
    }
    sendError(ctx.res, 'VALIDATION_FAILED', 'the request target must be a path', { requestId: ctx.id, close: true });
    return false;
  },
};

/**
 * Node's parser already refuses Content-Length with Transfer-Encoding, bare CR, NUL
 * and obs-fold. It lets a request through whose Transfer-Encoding does not end in
 * `chunked` (then reads the body until close) — RFC 9112 §6.3 says that request's
 * length cannot be known, and a proxy must answer 400 and close.
 */
export const framing: RequestPass = {
  name: 'framing',
  run(ctx) {
    const te = ctx.req.headers['transfer-encoding'];
    if (te === undefined || te.toLowerCase() === 'chunked') return true;
    sendError(ctx.res, 'VALIDATION_FAILED', 'Transfer-Encoding other than chunked is not accepted', { requestId: ctx.id, close: true });
    return false;
  },
};

/** Refuses a declared body over the limit at once; counts every body as it streams. */
export const bodyLimit: RequestPass = {
  name: 'bodyLimit',
  run(ctx, gw) {
    const max = gw.options.limits.maxBodyBytes;
    const headers = ctx.req.headers;
    const chunked = headers['transfer-encoding'] !== undefined;
    const length = chunked ? 0 : Number(headers['content-length'] ?? 0);
    if (length > max) {
      sendError(ctx.res, 'PAYLOAD_TOO_LARGE', `the body is over ${max} bytes`, { requestId: ctx.id, close: true });
      return false;
    }
    ctx.body = chunked || length > 0 ? bodyStream(ctx, max) : null;
    return true;
  },
};

/**
 * The body as undici reads it: the client's stream through a byte counter, never the
 * IncomingMessage itself. undici destroys the stream it was given when it is done with
 * it — also when the upstream answers before the body is all sent (a node's 413 for a
 * 1 MB upload) or the attempt fails midway — and destroying an IncomingMessage resets
 * the client's connection, taking the answer with it. Here the client's connection is
 * closed lingering instead: the rest of the body is read and dropped, bounded, and the
 * client reads the answer it is given.
 */
function bodyStream(ctx: ProxyContext, max: number): Readable {
  const req = ctx.req;
  const limited = new BodyLimit(max);
  req.pipe(limited);
  req.once('error', (err) => limited.destroy(err));
  limited.once('close', () => {
    if (!req.complete && !req.destroyed) closeLingering(ctx.res);
  });
  return limited;
}

/** The largest body an idempotent PUT/DELETE may have and still be held for a replay. */
export const REPLAYABLE_BODY_BYTES = 64 * 1024;
const IDEMPOTENT_WITH_KEY: ReadonlySet<string> = new Set(['PUT', 'DELETE']);

/**
 * A PUT or DELETE the client marks safe to repeat with an `Idempotency-Key` (IETF
 * draft-ietf-httpapi-idempotency-key-header) may be retried on another upstream like a
 * GET — if its body has a declared length of at most 64 KiB, which forward.ts then
 * reads whole before the first attempt so a replay sends the same bytes. A chunked or
 * larger body streams as usual and is not replayed once sent. A POST never is.
 */
export const idempotent: RequestPass = {
  name: 'idempotent',
  run(ctx) {
    if (!IDEMPOTENT_WITH_KEY.has(ctx.method)) return true;
    const key = ctx.req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.trim() === '') return true;
    if (ctx.body === null) ctx.idempotent = true;
    else if (ctx.req.headers['transfer-encoding'] === undefined) {
      ctx.idempotent = Number(ctx.req.headers['content-length']) <= REPLAYABLE_BODY_BYTES;
    }
    return true;
  },
};

export const clientAddress: RequestPass = {
  name: 'clientAddress',
  run(ctx, gw) {
    ctx.client = resolveClient(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], gw.trusted);
    return true;
  },
};

/** Set here, never passed through from an untrusted client. */
const REWRITTEN: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-request-id', 'x-request-deadline', 'expect']);
/** Claims about the client only a trusted proxy may make. */
const FROM_PROXIES_ONLY: ReadonlySet<string> = new Set(['forwarded', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);

/**
 * The upstream request's headers: the client's, minus hop-by-hop ones (and those its
 * Connection header names), plus X-Forwarded-For/-Proto, X-Request-Id and
 * X-Request-Deadline (epoch ms: when the gateway stops waiting, so a node can drop
 * work nobody will read). Built from rawHeaders so order, case and repeats survive.
 */
export const upstreamHeaders: RequestPass = {
  name: 'upstreamHeaders',
  run(ctx) {
    ctx.upstreamHeaders = buildUpstreamHeaders(ctx.req, ctx.client, ctx.id);
    ctx.upstreamHeaders.push('x-request-deadline', String(ctx.deadlineEpochMs));
    return true;
  },
};

export function buildUpstreamHeaders(req: IncomingMessage, client: ClientAddress, id: string): string[] {
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  const trusted = client.peerTrusted;
  const out: string[] = [];
  let proto: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    if (REWRITTEN.has(lower)) {
      if (trusted && lower === 'x-forwarded-proto') proto ??= raw[i + 1];
      continue;
    }
    if (!trusted && FROM_PROXIES_ONLY.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  out.push('x-forwarded-for', client.forwardedFor, 'x-forwarded-proto', proto ?? 'http', 'x-request-id', id);
  return out;
}

export const hashKey: RequestPass = {
  name: 'hashKey',
  run(ctx, gw) {
    ctx.hashKey = hashKeyOf(ctx.req, ctx.client, gw);
    return true;
  },
};

/** What consistent hashing hashes: the configured header, else the client IP; nothing for other pickers. */
export function hashKeyOf(req: IncomingMessage, client: ClientAddress, gw: GatewayRuntime): string | undefined {
  if (!gw.balancer.picker.usesHashKey) return undefined;
  const key = gw.options.balancing.hashKey;
  if (key.kind === 'header') {
    const v = req.headers[key.name];
    const value = Array.isArray(v) ? v.join(',') : v;
    if (value) return value;
  }
  return client.client;
}

export const REQUEST_PASSES: readonly RequestPass[] = [
  requestId,
  targetPath,
  framing,
  bodyLimit,
  idempotent,
  clientAddress,
  upstreamHeaders,
  hashKey,
];

class BodyLimit extends Transform {
  #seen = 0;
  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.max) done(new PayloadTooLargeError(`the body is over ${this.max} bytes`));
    else done(null, chunk);
  }
}
