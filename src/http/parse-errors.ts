/**
 * What to answer a request Node's HTTP parser refused, for the API node and the gateway
 * alike (client-error.ts writes the answer).
 *
 * Node counts the request line against `maxHeaderSize`, so a URL longer than that is
 * reported as HPE_HEADER_OVERFLOW, like oversized headers. `classifyClientError` tells
 * them apart from the bytes the parser was reading when it gave up (`err.rawPacket`):
 * a request line that had not ended, or one whose target is over the URL limit, is a
 * 414; headers that overflowed are a 431.
 *
 * Leaf module: imports nothing of the project.
 */

export interface EdgeLimits {
  /** Request line and headers together (Node's `maxHeaderSize`). */
  maxHeaderBytes: number;
  /** The request target. */
  maxUrlBytes: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_URL_BYTES = 8 * 1024;

/** Node's parse errors (and its request timeout) carry these besides `code`. */
export type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number };

export interface ClientErrorAnswer {
  code: 'URI_TOO_LONG' | 'HEADERS_TOO_LARGE' | 'PAYLOAD_TOO_LARGE' | 'REQUEST_TIMEOUT' | 'VALIDATION_FAILED';
  message: string;
  /**
   * Read and discard what the client still sends before closing (lingering-close.ts):
   * true for a request we refused, false for a client too slow to deserve more time.
   */
  linger: boolean;
}

export function classifyClientError(err: ParserError, limits: EdgeLimits): ClientErrorAnswer {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return urlTooLong(err.rawPacket, err.bytesParsed, limits.maxUrlBytes)
        ? { code: 'URI_TOO_LONG', message: `the URL is over ${limits.maxUrlBytes} bytes`, linger: true }
        : { code: 'HEADERS_TOO_LARGE', message: `the request headers are over ${limits.maxHeaderBytes} bytes`, linger: true };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'PAYLOAD_TOO_LARGE', message: 'the chunk extensions are too large', linger: true };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time', linger: false };
    default:
      return { code: 'VALIDATION_FAILED', message: `malformed or ambiguous request (${err.code ?? 'UNKNOWN'})`, linger: true };
  }
}

/** `METHOD SP target` and no second space yet: a request line cut off inside its target. */
const UNFINISHED_REQUEST_LINE = /^[A-Z]{1,20} (?:\/|\*|https?:\/\/)[^ ]*$/;
/** A whole request line; its target is the first group. */
const REQUEST_LINE = /^[A-Z]{1,20} (\S+) HTTP\/\d\.\d\r?$/gm;

/**
 * Whether a header overflow is the URL's doing: the line being parsed when the limit
 * hit is an unfinished request line, or the request line of this request — visible in
 * the same chunk — has a target over the URL limit (a 15 KiB URL plus ordinary headers
 * overflows in the headers). Only the chunk being parsed is known: a long URL dribbled
 * in small pieces, whose start came in an earlier chunk, cannot be told from a long
 * header value and stays a 431, as Node answers.
 */
export function urlTooLong(raw: Buffer | undefined, bytesParsed: number | undefined, maxUrlBytes: number): boolean {
  if (!raw || raw.length === 0) return false;
  const end = typeof bytesParsed === 'number' && bytesParsed > 0 && bytesParsed <= raw.length ? bytesParsed : raw.length;
  const text = raw.toString('latin1', 0, end);
  const lineStart = text.lastIndexOf('\n') + 1;
  if (UNFINISHED_REQUEST_LINE.test(text.slice(lineStart))) return true;
  let target: string | undefined;
  for (const m of text.slice(0, lineStart).matchAll(REQUEST_LINE)) target = m[1];
  return target !== undefined && target.length > maxUrlBytes;
}
