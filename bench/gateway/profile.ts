/**
 * Where the gateway's CPU goes: the buckets of its frames.
 */
import { commonBucket, type CallFrame } from '../support/cpu-profile.js';

export function gatewayBucket(f: CallFrame): string | null {
  const { functionName: name, url } = f;
  if (url.includes('/src/gateway/') || url.includes('/dist/gateway/')) return 'ours: gateway code';
  if (url.includes('/undici/') || /wasm/i.test(name) || url.includes('wasm')) return 'undici (upstream client, llhttp wasm parser)';
  return commonBucket(f);
}
