/**
 * When a failed attempt may be tried again on another upstream (DESIGN "Retries").
 * A request that never reached an upstream — connection refused, or given up before
 * undici wrote a byte — may go elsewhere whatever its method: nobody acted on it.
 * Once sent, only GET, HEAD and OPTIONS without a body are replayed: a replayed PUT
 * can overwrite a newer write, a POST can charge twice, and a streamed body is gone.
 */
import type { ProxyContext } from './context.js';

const SAFE_TO_REPLAY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function mayReplay(ctx: ProxyContext, sent: boolean, bodyIntact: boolean): boolean {
  if (!sent && (bodyIntact || ctx.body === null)) return true;
  return ctx.body === null && SAFE_TO_REPLAY.has(ctx.method);
}

export type RetryReason = 'connect' | 'reset' | 'timeout' | 'status';
