import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyClientError, urlTooLong, type ParserError } from '../../src/http/parse-errors.js';

const LIMITS = { maxHeaderBytes: 16 * 1024, maxUrlBytes: 8 * 1024 };

function overflow(text: string, bytesParsed?: number): ParserError {
  return Object.assign(new Error('Parse Error: Header overflow'), {
    code: 'HPE_HEADER_OVERFLOW',
    rawPacket: Buffer.from(text, 'latin1'),
    bytesParsed,
  });
}

describe('classifyClientError', () => {
  it('a request line that never ended within the limit is 414, not the 431 Node reports', () => {
    const chunk = `GET /${'a'.repeat(65_000)}`; // what Node had read of a 100 KB URL
    assert.equal(classifyClientError(overflow(chunk, chunk.length), LIMITS).code, 'URI_TOO_LONG');
    assert.equal(classifyClientError(overflow(`POST http://example.com/${'a'.repeat(20_000)}`), LIMITS).code, 'URI_TOO_LONG');
  });

  it('headers that overflowed are 431', () => {
    const chunk = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17 * 1024)}`;
    assert.equal(classifyClientError(overflow(chunk), LIMITS).code, 'HEADERS_TOO_LARGE');
    // Many small headers rather than one big one.
    const many = `GET / HTTP/1.1\r\n${Array.from({ length: 600 }, (_, i) => `X-H${i}: ${'v'.repeat(30)}`).join('\r\n')}`;
    assert.equal(classifyClientError(overflow(many), LIMITS).code, 'HEADERS_TOO_LARGE');
  });

  it('a long URL plus ordinary headers overflows in the headers, and is still 414 when its request line is in sight', () => {
    const chunk = `GET /${'a'.repeat(15 * 1024)} HTTP/1.1\r\nHost: x\r\nUser-Agent: ${'u'.repeat(2000)}`;
    assert.equal(classifyClientError(overflow(chunk), LIMITS).code, 'URI_TOO_LONG');
    const fine = `GET /${'a'.repeat(8 * 1024 - 1)} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}`;
    assert.equal(classifyClientError(overflow(fine), LIMITS).code, 'HEADERS_TOO_LARGE', 'a URL within the limit: the headers are to blame');
  });

  it('looks only at the request being parsed: a kept-alive request before it on the same chunk does not count', () => {
    const previous = `GET /${'p'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const longUrl = `GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /${'a'.repeat(30_000)}`;
    assert.equal(classifyClientError(overflow(longUrl), LIMITS).code, 'URI_TOO_LONG');
    const bigHeader = `GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nX-Big: ${'b'.repeat(17 * 1024)}`;
    assert.equal(classifyClientError(overflow(bigHeader), LIMITS).code, 'HEADERS_TOO_LARGE');
    // The last request line in sight is this request's: a previous long URL is not blamed.
    assert.equal(
      classifyClientError(overflow(`${previous}GET / HTTP/1.1\r\nX-Big: ${'b'.repeat(17 * 1024)}`), LIMITS).code,
      'HEADERS_TOO_LARGE',
    );
  });

  it('reads only up to where the parser stopped (bytesParsed)', () => {
    const chunk = `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.equal(classifyClientError(overflow(chunk, 20_005), LIMITS).code, 'URI_TOO_LONG');
    assert.equal(
      classifyClientError(overflow(chunk, 10 * chunk.length), LIMITS).code,
      'URI_TOO_LONG',
      'a bytesParsed past the chunk is ignored',
    );
  });

  it('a chunk with neither the request line nor a line break in sight stays 431, as Node says', () => {
    assert.equal(classifyClientError(overflow('a'.repeat(1024)), LIMITS).code, 'HEADERS_TOO_LARGE');
    assert.equal(
      classifyClientError(overflow('bbb ccc ddd'), LIMITS).code,
      'HEADERS_TOO_LARGE',
      'a header value with spaces is no request line',
    );
    assert.equal(
      classifyClientError(Object.assign(new Error('x'), { code: 'HPE_HEADER_OVERFLOW' }), LIMITS).code,
      'HEADERS_TOO_LARGE',
      'no rawPacket',
    );
  });

  it('timeouts are 408 and not lingered over; framing errors 400; chunk extensions 413', () => {
    assert.deepEqual(classifyClientError(Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), LIMITS), {
      code: 'REQUEST_TIMEOUT',
      message: 'the request did not arrive in time',
      linger: false,
    });
    for (const code of [
      'HPE_INVALID_TRANSFER_ENCODING',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
      'HPE_LF_EXPECTED',
      'HPE_INVALID_HEADER_TOKEN',
      undefined,
    ]) {
      const answer = classifyClientError(Object.assign(new Error('p'), { code }), LIMITS);
      assert.equal(answer.code, 'VALIDATION_FAILED', String(code));
      assert.equal(answer.linger, true);
    }
    assert.equal(
      classifyClientError(Object.assign(new Error('c'), { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' }), LIMITS).code,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('urlTooLong is false for an empty or missing chunk', () => {
    assert.equal(urlTooLong(undefined, undefined, 8192), false);
    assert.equal(urlTooLong(Buffer.alloc(0), 0, 8192), false);
  });
});
