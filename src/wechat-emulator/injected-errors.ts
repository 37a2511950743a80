/**
 * Errcodes injected per endpoint (`POST /_emulator/fail`), so tests can drive the
 * answers WeChat gives rarely or never on demand — 40001 for a token that still works,
 * 45009, 43101, -1 on one call only — without the conditions that cause them.
 */
import { ENDPOINTS, type Endpoint } from './endpoints.js';

export interface InjectedError {
  endpoint: Endpoint;
  errcode: number;
  times: number;
}

export class InjectedErrors {
  readonly #queued = new Map<Endpoint, Array<{ errcode: number; left: number }>>();

  add(e: InjectedError): void {
    const queue = this.#queued.get(e.endpoint) ?? [];
    queue.push({ errcode: e.errcode, left: e.times });
    this.#queued.set(e.endpoint, queue);
  }

  /** The errcode the call arriving now must answer, if one was injected for its endpoint. */
  take(endpoint: Endpoint): number | undefined {
    const queue = this.#queued.get(endpoint);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (--head.left === 0) queue.shift();
    return head.errcode;
  }

  reset(): void {
    this.#queued.clear();
  }
}

/** Checks a `POST /_emulator/fail` body; returns an error message or the injection. */
export function parseInjection(body: unknown): InjectedError | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const { endpoint, errcode, times = 1, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown)} (expected endpoint, errcode, times)`;
  if (typeof endpoint !== 'string' || !(ENDPOINTS as readonly string[]).includes(endpoint))
    return `endpoint must be one of ${ENDPOINTS.join(', ')}`;
  if (typeof errcode !== 'number' || !Number.isInteger(errcode) || errcode === 0 || Math.abs(errcode) > 10_000_000)
    return 'errcode must be a non-zero integer';
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > 1_000_000)
    return 'times must be an integer from 1 to 1000000';
  return { endpoint: endpoint as Endpoint, errcode, times };
}
