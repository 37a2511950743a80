/**
 * One HTTP call through the gateway, classified the way the checker needs: a reply
 * with a status (2xx / 4xx are definite; 5xx is unknown for a write, since the store
 * may have applied it), or an error — refused before anything was sent (definite: it
 * never reached the system), or a timeout / reset (unknown).
 */
import { Agent, request } from 'undici';
import type { OpStatus } from './history.js';

/**
 * Long enough to outlast a SIGSTOPped node (the nemesis resumes it after a few
 * seconds): a client that gave up earlier would leave a write that the node applies
 * after the client moved on, which is a real hazard but not one a client with a
 * sensible timeout meets. The gateway's own per-try timeout is 10 s.
 */
export const CLIENT_TIMEOUT_MS = 12_000;

/** Where the gateway is; `up` restarted on the same data dir listens on a new port. */
export interface Target {
  url: string;
}

export interface CallResult {
  status: OpStatus;
  http?: number;
  body?: unknown;
  etag?: string;
  nodeId?: string;
  error?: string;
}

const agent = new Agent({
  headersTimeout: CLIENT_TIMEOUT_MS,
  bodyTimeout: CLIENT_TIMEOUT_MS,
  connectTimeout: 2_000,
  keepAliveTimeout: 2_000,
});

export async function closeAgent(): Promise<void> {
  await agent.close();
}

export async function httpCall(
  target: Target,
  method: 'GET' | 'PUT' | 'POST',
  urlPath: string,
  opts: { token?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  try {
    const res = await request(`${target.url}${urlPath}`, { method, headers, body, dispatcher: agent });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
    const nodeId = typeof res.headers['x-node-id'] === 'string' ? res.headers['x-node-id'] : undefined;
    const status: OpStatus = res.statusCode < 300 ? 'ok' : res.statusCode < 500 ? 'fail' : 'unknown';
    const error =
      status === 'ok' ? undefined : ((parsed as { error?: { code?: string } } | undefined)?.error?.code ?? `HTTP ${res.statusCode}`);
    return { status, http: res.statusCode, body: parsed, etag, nodeId, error };
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).name;
    // Refused: no connection, so no byte of the request reached anyone.
    return { status: code === 'ECONNREFUSED' ? 'fail' : 'unknown', error: code };
  }
}
