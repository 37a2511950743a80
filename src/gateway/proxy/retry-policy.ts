/**
 * When a failed attempt may be tried again on another upstream (docs/gateway.md, "Retries and the retry budget").
 * A request that never reached an upstream — connection refused, or given up before
 * undici wrote a byte — may go elsewhere whatever its method: nobody acted on it.
 * Once sent, only GET, HEAD and OPTIONS without a body are replayed: a replayed PUT
 * can overwrite a newer write, a POST can charge twice, and a streamed body is gone —
 * unless the client vouches for a PUT or DELETE with an `Idempotency-Key` (the
 * `idempotent` pass), whose body is then held whole so the replay sends the same bytes.
 * A POST is never replayed once sent, key or not.
 */
import type { ProxyContext } from './context.js';

const SAFE_TO_REPLAY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function mayReplay(ctx: ProxyContext, sent: boolean, bodyIntact: boolean): boolean {
  const held = ctx.body === null || Buffer.isBuffer(ctx.body);
  if (!sent && (bodyIntact || held)) return true;
  if (SAFE_TO_REPLAY.has(ctx.method)) return ctx.body === null;
  return ctx.idempotent && held;
}

export type RetryReason = 'connect' | 'reset' | 'timeout' | 'status';
