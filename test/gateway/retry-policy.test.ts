/** When a failed attempt may be retried on another upstream. No network. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { idempotent, REPLAYABLE_BODY_BYTES } from '../../src/gateway/proxy/passes.js';
import { mayReplay } from '../../src/gateway/proxy/retry-policy.js';
import type { ProxyContext } from '../../src/gateway/proxy/context.js';

describe('retry policy', () => {
  const ctx = (method: string, body: boolean) =>
    ({ method, body: body ? Readable.from([]) : null, idempotent: false }) as unknown as ProxyContext;

  it('replays a request that never reached an upstream, whatever its method', () => {
    assert.equal(mayReplay(ctx('POST', true), false, true), true);
  });

  it('once sent, replays only GET, HEAD and OPTIONS without a body', () => {
    assert.equal(mayReplay(ctx('GET', false), true, false), true);
    assert.equal(mayReplay(ctx('OPTIONS', false), true, false), true);
    assert.equal(mayReplay(ctx('POST', false), true, false), false);
    assert.equal(mayReplay(ctx('PUT', true), true, false), false);
    assert.equal(mayReplay(ctx('DELETE', false), true, false), false);
    assert.equal(mayReplay(ctx('GET', true), true, false), false);
  });
  it('replays a PUT or DELETE the client marked idempotent, once its body is held whole', () => {
    const marked = (method: string, body: Buffer | Readable | null) => ({ method, body, idempotent: true }) as unknown as ProxyContext;
    assert.equal(mayReplay(marked('PUT', Buffer.from('{"a":1}')), true, false), true);
    assert.equal(mayReplay(marked('DELETE', null), true, false), true);
    assert.equal(mayReplay(marked('PUT', Readable.from([])), true, false), false, 'a streamed body is gone once sent');
  });

  it('marks PUT and DELETE with an Idempotency-Key and a small declared body, nothing else', () => {
    const marks = (method: string, headers: Record<string, string>): boolean => {
      const hasBody = headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
      const c = { method, req: { headers }, body: hasBody ? Readable.from([]) : null, idempotent: false } as unknown as ProxyContext;
      assert.equal(idempotent.run(c, undefined as never), true, 'the pass never answers the client');
      return c.idempotent;
    };
    const key = { 'idempotency-key': 'k-1' };
    assert.equal(marks('PUT', { ...key, 'content-length': '10' }), true);
    assert.equal(marks('PUT', { ...key, 'content-length': String(REPLAYABLE_BODY_BYTES) }), true);
    assert.equal(marks('DELETE', key), true);
    assert.equal(marks('PUT', { ...key, 'content-length': String(REPLAYABLE_BODY_BYTES + 1) }), false, 'too large to hold');
    assert.equal(marks('PUT', { ...key, 'transfer-encoding': 'chunked' }), false, 'no declared length');
    assert.equal(marks('PUT', { 'content-length': '10' }), false, 'no key');
    assert.equal(marks('PUT', { 'idempotency-key': ' ', 'content-length': '10' }), false, 'an empty key');
    assert.equal(marks('POST', { ...key, 'content-length': '10' }), false, 'a POST never');
    assert.equal(marks('PATCH', { ...key, 'content-length': '10' }), false);
  });
});
