/**
 * The refusals every request meets before anything else, a plain one or a WebSocket
 * upgrade alike: a URL over the limit (414) and an HTTP/1.1 request without Host (400).
 * Both close the connection: the rest of such a request is not worth reading.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiErrorCode } from '../../core/error-response.js';

export interface EdgeRefusal {
  code: ApiErrorCode;
  message: string;
  /** The label of the client-error metric. */
  reason: string;
}

export function edgeRefusal(req: IncomingMessage, limits: { maxUrlBytes: number }): EdgeRefusal | undefined {
  const url = req.url ?? '';
  if (url.length > limits.maxUrlBytes) {
    return { code: 'URI_TOO_LONG', message: `the URL is over ${limits.maxUrlBytes} bytes`, reason: 'URI_TOO_LONG' };
  }
  if (req.headers.host === undefined && req.httpVersionMinor >= 1) {
    return { code: 'VALIDATION_FAILED', message: 'an HTTP/1.1 request needs a Host header', reason: 'NO_HOST' };
  }
  return undefined;
}
