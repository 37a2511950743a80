/**
 * Bad input, black-box: every malformed request gets a 4xx with a documented code,
 * never a stack trace; the node keeps serving; stored data stays intact; and JSON
 * keys such as __proto__ round-trip exactly without polluting anything.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { killAll } from '../support/processes.js';
import { call, login, startApiTopology, type ApiTopology } from '../support/api-nodes.js';

let topo: ApiTopology;
let base: string;
let token: string;
const KEPT = { kept: ['intact', 1, { deep: true }] };

before(async () => {
  topo = await startApiTopology({ nodes: 1, env: { MINISCALE_RATE_LIMIT_USER: '0', MINISCALE_RATE_LIMIT_IP: '0' } });
  base = topo.nodes[0]!.url;
  token = (await login(base, 'mallory')).token;
  assert.equal((await call(base, 'PUT', '/v1/me/kv/kept', { token, json: { value: KEPT } })).status, 200);
});
after(async () => {
  await topo?.stop();
  killAll();
});

/** Asserts a 4xx with the expected code in the error format, and no internals leaked. */
function assertRefused(res: { status: number; body: unknown; text: string }, status: number, code: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.text.slice(0, 300)}`);
  assert.equal((res.body as { error?: { code?: string } }).error?.code, code, what);
  assert.doesNotMatch(res.text, /at .*\.(ts|js):\d+|node_modules|\/work\//, `${what} leaked internals`);
}

async function stillIntact(): Promise<void> {
  const res = await call<{ value: unknown }>(base, 'GET', '/v1/me/kv/kept', { token });
  assert.deepEqual(res.body.value, KEPT);
}

describe('bad input', () => {
  it('bodies that are not JSON, of the wrong type or missing fields are 400 VALIDATION_FAILED', async () => {
    const cases: Array<[string, string]> = [
      ['{"value": ', 'truncated JSON'],
      ['{value: 1}', 'unquoted key'],
      ['"just a string"', 'not an object'],
      ['{"value": 1, "ttl": "soon"}', 'ttl of the wrong type'],
      ['{"value": 1, "ttl": 0}', 'ttl below 1'],
      ['{"value": 1, "extra": true}', 'unknown field'],
      ['{}', 'missing value'],
      ['', 'empty body'],
    ];
    for (const [body, what] of cases) {
      assertRefused(
        await call(base, 'PUT', '/v1/me/kv/kept', { token, body, headers: { 'content-type': 'application/json' } }),
        400,
        'VALIDATION_FAILED',
        what,
      );
    }
    assertRefused(await call(base, 'POST', '/v1/auth/login', { json: {} }), 400, 'VALIDATION_FAILED', 'login without code');
    assertRefused(await call(base, 'POST', '/v1/auth/login', { json: { code: 42 } }), 400, 'VALIDATION_FAILED', 'numeric code');
    assertRefused(await call(base, 'POST', '/v1/counters/c', { token, json: { by: 1.5 } }), 400, 'VALIDATION_FAILED', 'fractional by');
    assertRefused(
      await call(base, 'PUT', '/v1/leaderboards/b/me', { token, json: { score: '10' } }),
      400,
      'VALIDATION_FAILED',
      'score as string',
    );
    assertRefused(
      await call(base, 'PUT', '/v1/leaderboards/b/me', { token, json: { score: 1, mode: 'max' } }),
      400,
      'VALIDATION_FAILED',
      'unknown mode',
    );
    await stillIntact();
  });

  it('1e309 (Infinity once parsed) is refused as a value and as a score', async () => {
    const body = '{"value": 1e309}';
    assertRefused(
      await call(base, 'PUT', '/v1/me/kv/kept', { token, body, headers: { 'content-type': 'application/json' } }),
      400,
      'VALIDATION_FAILED',
      'value 1e309',
    );
    assertRefused(
      await call(base, 'PUT', '/v1/leaderboards/b/me', {
        token,
        body: '{"score": 1e309}',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'VALIDATION_FAILED',
      'score 1e309',
    );
    await stillIntact();
  });

  it('a value over 64 KiB is 413, a 1 MB and a 10 MB body are 413 before they are parsed', async () => {
    assertRefused(
      await call(base, 'PUT', '/v1/me/kv/kept', { token, json: { value: 'x'.repeat(64 * 1024) } }),
      413,
      'PAYLOAD_TOO_LARGE',
      'value just over 64 KiB',
    );
    assert.equal(
      (await call(base, 'PUT', '/v1/me/kv/big', { token, json: { value: 'x'.repeat(64 * 1024 - 2) } })).status,
      200,
      'exactly 64 KiB is allowed',
    );
    for (const size of [1_000_000, 10_000_000]) {
      const res = await call(base, 'PUT', '/v1/me/kv/kept', {
        token,
        body: `{"value":"${'x'.repeat(size)}"}`,
        headers: { 'content-type': 'application/json' },
      }).catch((err: Error) => err);
      // The node may answer 413 and close before reading everything; either way it must not accept it.
      if (res instanceof Error) assert.match(res.message, /EPIPE|ECONNRESET|other side closed|socket/i);
      else assertRefused(res, 413, 'PAYLOAD_TOO_LARGE', `${size}-byte body`);
    }
    await stillIntact();
  });

  it('content types other than JSON are 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      assertRefused(
        await call(base, 'PUT', '/v1/me/kv/kept', { token, body: 'value=1', headers: { 'content-type': type } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        type,
      );
    }
    await stillIntact();
  });

  it('bad keys are 400 or 404, never a write elsewhere', async () => {
    const bad: Array<[string, number, string]> = [
      ['..', 400, 'VALIDATION_FAILED'],
      ['.', 400, 'VALIDATION_FAILED'],
      ['%00', 400, 'VALIDATION_FAILED'],
      ['a%2Fb', 400, 'VALIDATION_FAILED'],
      ['x'.repeat(129), 400, 'VALIDATION_FAILED'],
      ['sp%20ace', 400, 'VALIDATION_FAILED'],
      ['%E4%B8%AD', 400, 'VALIDATION_FAILED'],
      ['a/b', 404, 'NOT_FOUND'],
    ];
    for (const [key, status, code] of bad) {
      assertRefused(await rawPut(`/v1/me/kv/${key}`, '{"value":1}'), status, code, `key ${key}`);
    }
    assert.equal(
      (await call(base, 'PUT', `/v1/me/kv/${'x'.repeat(128)}`, { token, json: { value: 1 } })).status,
      200,
      '128 characters is allowed',
    );
    await stillIntact();
  });

  it('__proto__ and constructor as keys and inside values round-trip exactly and pollute nothing', async () => {
    const body = '{"value":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"a":[{"__proto__":1}]}}';
    const put = await call(base, 'PUT', '/v1/me/kv/__proto__', { token, body, headers: { 'content-type': 'application/json' } });
    assert.equal(put.status, 200, put.text);
    const got = await call(base, 'GET', '/v1/me/kv/__proto__', { token });
    assert.equal(JSON.stringify((got.body as { value: unknown }).value), JSON.stringify(JSON.parse(body).value));
    assert.equal((await call(base, 'PUT', '/v1/me/kv/constructor', { token, json: { value: 'c' } })).status, 200);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // The node itself must not be polluted either: a fresh object there has no such field.
    const probe = await call<{ value: unknown }>(base, 'PUT', '/v1/me/kv/probe', { token, json: { value: {} } });
    assert.deepEqual(probe.body.value, {});
    await stillIntact();
  });

  it('10,000 levels of nesting are refused with 400 and the node keeps serving', async () => {
    const deep = `{"value":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    assertRefused(
      await call(base, 'PUT', '/v1/me/kv/kept', { token, body: deep, headers: { 'content-type': 'application/json' } }),
      400,
      'VALIDATION_FAILED',
      '10k levels',
    );
    const nested = (levels: number) => `{"value":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    assert.equal(
      (await call(base, 'PUT', '/v1/me/kv/deep', { token, body: nested(64), headers: { 'content-type': 'application/json' } })).status,
      200,
      '64 levels are allowed',
    );
    assertRefused(
      await call(base, 'PUT', '/v1/me/kv/deep', { token, body: nested(65), headers: { 'content-type': 'application/json' } }),
      400,
      'VALIDATION_FAILED',
      '65 levels',
    );
    await stillIntact();
  });

  it('malformed conditional headers are 400', async () => {
    for (const value of ['17', 'W/"17"x', '"abc"']) {
      assertRefused(
        await call(base, 'PUT', '/v1/me/kv/kept', { token, json: { value: 0 }, headers: { 'if-match': value } }),
        400,
        'VALIDATION_FAILED',
        `If-Match ${value}`,
      );
    }
    assertRefused(
      await call(base, 'PUT', '/v1/me/kv/kept', { token, json: { value: 0 }, headers: { 'if-none-match': '"1"' } }),
      400,
      'VALIDATION_FAILED',
      'If-None-Match with a tag on PUT',
    );
    await stillIntact();
  });

  it('random JSON values round-trip exactly through PUT and GET (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const text = JSON.stringify({ value });
        const put = await call(base, 'PUT', '/v1/me/kv/prop', { token, body: text, headers: { 'content-type': 'application/json' } });
        assert.equal(put.status, 200, put.text);
        const got = await call(base, 'GET', '/v1/me/kv/prop', { token });
        assert.equal(JSON.stringify((got.body as { value: unknown }).value), JSON.stringify(JSON.parse(text).value));
      }),
      { numRuns: 60 },
    );
  });

  it('random garbage bodies never produce a 5xx nor change stored data (property-based)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.constantFrom('PUT', 'POST'), async (garbage, method) => {
        const path = method === 'PUT' ? '/v1/me/kv/kept' : '/v1/counters/garbage';
        // Garbage must be invalid JSON (an empty body is a valid "no body" for counters).
        let body = garbage.trim() === '' ? `${garbage}{` : garbage;
        try {
          JSON.parse(body);
          body = `${body}}`;
        } catch {
          /* already invalid */
        }
        const res = await call(base, method, path, { token, body, headers: { 'content-type': 'application/json' } });
        assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${JSON.stringify(body)}`);
      }),
      { numRuns: 80 },
    );
    await stillIntact();
  });

  it('after all of the above the node still answers readyz', async () => {
    assert.equal((await call(base, 'GET', '/readyz')).status, 200);
  });
});

/** A PUT with the path sent exactly as given (clients would normalise `..`). */
function rawPut(path: string, body: string): Promise<{ status: number; body: unknown; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', text = ''] = data.split('\r\n\r\n');
      const status = Number(head.split(' ')[1]);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      resolve({ status, body: parsed, text });
    });
    socket.write(
      `PUT ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
