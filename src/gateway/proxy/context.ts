/**
 * What the passes know about one proxied request. Created once per request; the
 * passes fill it in order (see passes.ts) and the forwarder reads it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Upstream } from '../upstreams/upstream.js';
import type { ClientAddress } from './forwarded.js';

export interface ProxyContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** X-Request-Id: the client's when well-formed, else generated. */
  id: string;
  readonly method: string;
  /** Origin-form path and query sent upstream. */
  path: string;
  /** Monotonic ms. */
  readonly startedAt: number;
  /** Monotonic ms after which the total timeout has run out. */
  readonly deadlineAt: number;
  /** The same instant as epoch ms, sent upstream as X-Request-Deadline. */
  readonly deadlineEpochMs: number;
  client: ClientAddress;
  /** Headers for the upstream as a flat [name, value, …] list. */
  upstreamHeaders: string[];
  /**
   * The request body: a stream read as the upstream takes it, a Buffer when it is held
   * whole so it can be replayed (an idempotent PUT/DELETE, see `idempotent`), or null.
   */
  body: Readable | Buffer | null;
  /**
   * The client marked this PUT or DELETE safe to repeat (an `Idempotency-Key`) and its
   * body is small enough to hold, so it may be replayed like a GET.
   */
  idempotent: boolean;
  hashKey: string | undefined;
  /** Attempts made so far (1 + retries). */
  attempts: number;
  /** The upstream whose answer the client got, if any. */
  upstream: Upstream | undefined;
  /** Status the client got (0 until answered). */
  status: number;
  clientGone: boolean;
  /** Aborts the attempt in progress; set by the attempt while it runs. */
  abortAttempt: ((reason: Error) => void) | undefined;
}
