/** Hop-by-hop headers and which requests may be replayed. No network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionNamed, responseHeaders } from '../../src/gateway/proxy/hop-by-hop.js';

describe('header passes', () => {
  it('strips hop-by-hop response headers and those named in Connection, keeping repeats', () => {
    const raw = [
      'Connection',
      'x-secret, Keep-Alive',
      'X-Secret',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'Transfer-Encoding',
      'chunked',
      'X-Request-Id',
      'theirs',
      'Content-Type',
      'text/plain',
    ].map((s) => Buffer.from(s));
    const out = responseHeaders(raw, 'x-secret, Keep-Alive', new Set(['x-request-id']));
    assert.deepEqual(out, ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']);
  });

  it('reads the names listed in Connection', () => {
    assert.deepEqual([...connectionNamed(['X-A, x-b', ' X-C '])!], ['x-a', 'x-b', 'x-c']);
    assert.equal(connectionNamed('keep-alive'), undefined);
  });
});
