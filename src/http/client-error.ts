/**
 * The 'clientError' answer of the API node and the gateway: a request Node could not
 * parse (or a client too slow to send one) is answered straight to the socket — there is
 * no ServerResponse — in the API's error format, and the connection is closed: past a
 * framing error the rest of the byte stream cannot be trusted, which is what request
 * smuggling exploits. What to answer is decided in parse-errors.ts.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, statusOf, type ApiErrorCode } from '../core/error-response.js';
import { absorbedByLinger, endLingering } from './lingering-close.js';
import { classifyClientError, type ClientErrorAnswer, type EdgeLimits, type ParserError } from './parse-errors.js';

export type RawHeaders = ReadonlyArray<readonly [string, string]>;

/** A whole HTTP/1.1 error response as text: the API's JSON error and `Connection: close`. */
export function rawErrorResponse(code: ApiErrorCode, message: string, headers: RawHeaders = []): string {
  const status = statusOf(code);
  const body = JSON.stringify(errorBody(code, message));
  let head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${body}`;
}

/** How long a client that was too slow gets to read its 408 before its socket goes. */
const SLOW_CLIENT_GRACE_MS = 1_000;

export type ClientErrorOutcome =
  /** The raw error response went out. */
  | { kind: 'answered'; answer: ClientErrorAnswer }
  /** Nothing could be written (the client reset, or a response is already under way): the socket is destroyed. */
  | { kind: 'dropped' }
  /** Bytes the client sent after we answered (the socket is lingering): counted, nothing else to do. */
  | { kind: 'lingering' };

/**
 * Answers one 'clientError': the raw error response, then a lingering close — or, for a
 * timeout, a short grace. `headers` (X-Request-Id, X-Node-Id) is called only when an
 * answer is written.
 */
export function answerClientError(err: ParserError, socket: Socket, limits: EdgeLimits, headers: () => RawHeaders): ClientErrorOutcome {
  if (absorbedByLinger(socket)) return { kind: 'lingering' };
  // Node's own default handler makes the same check: a response already under way on
  // this socket (a pipelined request failed) cannot get a second status line.
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return { kind: 'dropped' };
  }
  const answer = classifyClientError(err, limits);
  const text = rawErrorResponse(answer.code, answer.message, headers());
  if (answer.linger) {
    endLingering(socket, text);
  } else {
    socket.end(text);
    // A slow client's parser still runs: stop reading, so that a request it completes
    // now is never dispatched on a connection we have answered and ended.
    socket.pause();
    setTimeout(() => socket.destroy(), SLOW_CLIENT_GRACE_MS).unref();
  }
  return { kind: 'answered', answer };
}
