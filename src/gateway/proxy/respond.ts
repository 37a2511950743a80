/** The gateway's own answers, in the API's error format. */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, statusOf, type ApiErrorCode } from '../../core/error-response.js';
import { closeLingering } from '../../http/lingering-close.js';

export function sendError(
  res: ServerResponse,
  code: ApiErrorCode,
  message: string,
  opts: { requestId?: string; close?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message));
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  };
  if (opts.requestId) headers['x-request-id'] = opts.requestId;
  // The request's body was not read: closing is the only way to stay in sync with the
  // client — lingering, so that the client, maybe still sending, can read this answer.
  if (opts.close) {
    headers.connection = 'close';
    closeLingering(res);
  }
  res.writeHead(statusOf(code), headers);
  res.end(body);
}

/** The same, written straight to a socket: a refused upgrade has no ServerResponse. */
export function writeRawError(socket: Socket, code: ApiErrorCode, message: string, requestId?: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = statusOf(code);
  const body = JSON.stringify(errorBody(code, message));
  const id = requestId ? `X-Request-Id: ${requestId}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${id}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // end() flushes; destroy after a moment in case the client never reads.
  socket.setTimeout(1_000, () => socket.destroy());
}
