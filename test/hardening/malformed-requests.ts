/**
 * An arbitrary of malformed HTTP requests for the API, as raw bytes. Each request is a
 * valid template (a write the signed-in user or the admin may make) plus at least one
 * corruption that must make the API refuse it — a bad token, broken JSON, a field of
 * the wrong type, a bad key, a wrong method or content type, a bad conditional header,
 * broken framing — and random noise that must not matter (odd query strings, junk
 * headers). So a 2xx is a bug too: something malformed was accepted.
 */
import fc from 'fast-check';

export interface Credentials {
  token: string;
  adminKey: string;
}

interface Template {
  method: string;
  path: (key: string) => string;
  /** Keys this template may write; the key corruption replaces them. */
  key: string;
  body?: string;
  auth: 'user' | 'admin' | 'none';
  /** Routes where If-Match/If-None-Match are read (kv writes). */
  conditional: boolean;
  /** Field-level corruptions that keep the JSON valid but break the schema. */
  badBodies: string[];
}

const TEMPLATES: Template[] = [
  {
    method: 'PUT',
    path: (k) => `/v1/me/kv/${k}`,
    key: 'k0',
    body: '{"value":{"new":true}}',
    auth: 'user',
    conditional: true,
    badBodies: [
      '{"value":1,"ttl":"5"}',
      '{"value":1,"ttl":0}',
      '{"value":1,"ttl":-1}',
      '{"value":1,"ttl":1.5}',
      '{"value":1,"ttl":1e12}',
      '{"value":1,"extra":1}',
      '{}',
      '[]',
      '"value"',
      'null',
      '{"ttl":5}',
      '{"value":1e309}',
      '{"value":-1e309}',
    ],
  },
  { method: 'DELETE', path: (k) => `/v1/me/kv/${k}`, key: 'k1', auth: 'user', conditional: true, badBodies: [] },
  {
    method: 'POST',
    path: (k) => `/v1/counters/${k}`,
    key: 'c0',
    body: '{"by":5}',
    auth: 'user',
    conditional: false,
    badBodies: [
      '{"by":"5"}',
      '{"by":1.5}',
      '{"by":1e10}',
      '{"by":-1e10}',
      '{"by":null}',
      '{"by":true}',
      '{"by":5,"x":1}',
      '[5]',
      '5',
      '{"by":1e309}',
    ],
  },
  {
    method: 'PUT',
    path: (k) => `/v1/leaderboards/${k}/me`,
    key: 'b0',
    body: '{"score":99}',
    auth: 'user',
    conditional: false,
    badBodies: [
      '{"score":"99"}',
      '{"score":null}',
      '{}',
      '{"score":1,"mode":"max"}',
      '{"score":1,"mode":null}',
      '{"score":1e309}',
      '{"score":[1]}',
      '{"score":1,"by":1}',
    ],
  },
  {
    method: 'PUT',
    path: (k) => `/v1/admin/kv/${k}`,
    key: 'motd',
    body: '{"value":"pwned"}',
    auth: 'admin',
    conditional: true,
    badBodies: ['{"value":1,"ttl":"5"}', '{"value":1,"extra":1}', '{}'],
  },
  { method: 'DELETE', path: (k) => `/v1/admin/kv/${k}`, key: 'motd', auth: 'admin', conditional: true, badBodies: [] },
  { method: 'POST', path: () => '/v1/auth/logout', key: '', auth: 'user', conditional: false, badBodies: [] },
  {
    method: 'POST',
    path: () => '/v1/auth/login',
    key: '',
    body: '{"code":"dev:fuzz"}',
    auth: 'none',
    conditional: false,
    badBodies: [
      '{"code":42}',
      '{"code":""}',
      `{"code":"${'x'.repeat(257)}"}`,
      '{"code":"dev:x","extra":1}',
      '{}',
      '{"code":null}',
      '{"code":["dev:x"]}',
    ],
  },
];

/** Keys no route accepts: too long, `.`/`..`, characters outside [A-Za-z0-9._:-], broken escapes. */
const BAD_KEYS = [
  'x'.repeat(129),
  'y'.repeat(600),
  '.',
  '..',
  '%2e%2e',
  'a%20b',
  'a%2Fb',
  '%E4%B8%AD',
  'a!b',
  'a$b',
  'a@b',
  'a~b',
  'a*b',
  '%00',
  '%',
  '%zz',
  '%ff',
  'a%0Ab',
  "a'b",
  'a,b',
  'a;b',
  'a=b',
  '%C0%AE',
];
const BROKEN_JSON = [
  '{"value": ',
  '{value: 1}',
  '{"value":1}}',
  "{'value':1}",
  '{"value":01}',
  '{"value":NaN}',
  '{"value":Infinity}',
  '{"value":undefined}',
  '{"value":1,}',
  '\u0000',
  '{"value":"\u0001',
  '[[[[',
  ']',
  '{"a":1',
];
// Includes the shapes of Fastify's content-type advisories (tab, no space before `;`, a JSON type inside another).
const BAD_CONTENT_TYPES = [
  'application/json\tx',
  'text/plain;application/json',
  'text/plain; charset=application/json',
  'application/jsonp',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  'json',
  'application/',
  '*/*',
  'application/json-patch+json',
];
const ODD_QUERIES = [
  '',
  '?',
  '?a',
  '?a=1&a=2',
  '?%zz',
  '?__proto__[x]=1',
  '?constructor[prototype][x]=1',
  '?limit=-1',
  `?q=${'q'.repeat(2000)}`,
  '?&&&',
  '?a=%00',
  '?#frag',
];
const JUNK_HEADERS: Array<[string, string]> = [
  ['X-Forwarded-For', '1.2.3.4, not-an-ip'],
  ['X-Request-Id', '../../etc/passwd'],
  ['X-Request-Id', 'x'.repeat(300)],
  ['Accept', 'text/html'],
  ['Accept-Encoding', 'gzip, br'],
  ['Cookie', 'a=b'],
  ['Origin', 'http://evil.example'],
  ['X-Request-Deadline', 'not-a-number'],
  ['X-Request-Deadline', '1e400'],
  ['Range', 'bytes=0-1'],
  ['X-Http-Method-Override', 'GET'],
  ['Forwarded', 'for=127.0.0.1'],
  ['X-Real-Ip', '127.0.0.1'],
];

export interface RawRequest {
  /** What was corrupted, for the failure message. */
  what: string[];
  raw: string;
  /** fast-check prints counterexamples with this: a 300 KiB body is no help in a report. */
  [fc.toStringMethod](): string;
}

interface Draft {
  method: string;
  path: string;
  query: string;
  headers: Array<[string, string]>;
  body: string | undefined;
  contentType: string | undefined;
  auth: string | undefined;
  /** Written as-is instead of a correct Content-Length. */
  framing: string | undefined;
  what: string[];
}

function authCorruption(t: Template, creds: Credentials): fc.Arbitrary<[string | undefined, string]> {
  const real = t.auth === 'admin' ? creds.adminKey : creds.token;
  const flip = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
  const options: Array<[string | undefined, string]> = [
    [undefined, 'no Authorization'],
    [`Bearer ${flip(real)}`, 'one character changed'],
    [`Bearer ${real}x`, 'one character longer'],
    [`Bearer ${real.slice(1)}`, 'one character shorter'],
    [`Basic ${real}`, 'Basic scheme'],
    ['Bearer', 'empty Bearer'],
    [`Bearer ${real} ${real}`, 'two tokens'],
    [`Bearer ${'A'.repeat(43)}`, 'unknown well-formed token'],
    [`Bearer ${'é'.repeat(43)}`, 'non-ASCII token'],
    [real, 'no scheme'],
  ];
  if (t.auth === 'admin') options.push([`Bearer ${creds.token}`, 'a user token on an admin route']);
  return fc.constantFrom(...options);
}

/** Mostly corrupted templates; sometimes bytes that are not HTTP at all. */
export function malformedRequest(creds: Credentials): fc.Arbitrary<RawRequest> {
  return fc.oneof({ weight: 9, arbitrary: corruptedTemplate(creds) }, { weight: 1, arbitrary: garbage });
}

/** Random bytes (a random request line or none), ended like a request so the server answers. */
const garbage: fc.Arbitrary<RawRequest> = fc
  .tuple(
    fc.oneof(fc.constant(''), fc.constantFrom('GET ', 'PUT /v1/me/kv/k0 ', 'POST /v1/auth/login HTTP/1.1\r\n')),
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([prefix, bytes]) => {
    const raw = `${prefix}${Buffer.from(bytes).toString('latin1')}\r\nConnection: close\r\n\r\n`;
    return { what: ['random bytes'], raw, [fc.toStringMethod]: () => `random bytes :: ${JSON.stringify(raw)}` };
  });

/** Draws a template, then 1–3 corruptions that apply to it, then noise. */
function corruptedTemplate(creds: Credentials): fc.Arbitrary<RawRequest> {
  return fc.constantFrom(...TEMPLATES).chain((t) => {
    const corruptions: Array<[string, fc.Arbitrary<(d: Draft) => void>]> = [];
    if (t.auth !== 'none') {
      corruptions.push([
        'auth',
        authCorruption(t, creds).map(([auth, why]) => (d: Draft) => {
          d.auth = auth;
          d.what.push(`auth: ${why}`);
        }),
      ]);
    }
    if (t.key) {
      corruptions.push([
        'key',
        fc.constantFrom(...BAD_KEYS).map((k) => (d: Draft) => {
          d.path = t.path(k);
          d.what.push(`key ${JSON.stringify(k.slice(0, 20))}`);
        }),
      ]);
    }
    // A method no route has for this path; invalid method tokens included.
    corruptions.push([
      'method',
      fc
        .constantFrom('PATCH', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO', 'put', 'G\u00c9T', 'PU T')
        .filter(
          (m) => m !== t.method && !(t.method === 'DELETE' && m === 'PUT' && t.body === undefined) && !(t.method === 'PUT' && m === 'PUT'),
        )
        .filter(
          (m) => !(t.path('x').startsWith('/v1/me/kv') || t.path('x').startsWith('/v1/admin/kv')) || !['PUT', 'GET', 'DELETE'].includes(m),
        )
        .map((m) => (d: Draft) => {
          d.method = m;
          d.what.push(`method ${m}`);
        }),
    ]);
    if (t.body !== undefined) {
      corruptions.push([
        'json',
        fc.constantFrom(...BROKEN_JSON).map((b) => (d: Draft) => {
          d.body = b;
          d.what.push(`broken JSON ${JSON.stringify(b)}`);
        }),
      ]);
      corruptions.push([
        'type',
        fc.constantFrom(...BAD_CONTENT_TYPES, undefined).map((ct) => (d: Draft) => {
          d.contentType = ct;
          d.what.push(`content type ${ct ?? '(none)'}`);
        }),
      ]);
      if (t.badBodies.length)
        corruptions.push([
          'schema',
          fc.constantFrom(...t.badBodies).map((b) => (d: Draft) => {
            d.body = b;
            d.what.push(`schema ${b.slice(0, 40)}`);
          }),
        ]);
      corruptions.push([
        'framing',
        fc
          .constantFrom(
            ['Content-Length: 3', 'Content-Length shorter than the body'],
            ['Content-Length: abc', 'Content-Length not a number'],
            ['Content-Length: -1', 'negative Content-Length'],
            ['Content-Length: 1\r\nContent-Length: 2', 'two Content-Lengths'],
            ['Content-Length: 5\r\nTransfer-Encoding: chunked', 'Content-Length and Transfer-Encoding'],
            ['Transfer-Encoding: chunked', 'chunked, but the body is not chunks'],
            ['Transfer-Encoding: gzip', 'Transfer-Encoding not ending in chunked'],
          )
          .map(([f, why]) => (d: Draft) => {
            d.framing = f;
            d.what.push(why);
          }),
      ]);
      corruptions.push([
        'size',
        fc.integer({ min: 70 * 1024, max: 300 * 1024 }).map((n) => (d: Draft) => {
          d.body = `{"value":"${'z'.repeat(n)}"}`;
          d.what.push(`${n}-byte body`);
        }),
      ]);
    }
    if (t.conditional) {
      corruptions.push([
        'conditional',
        fc
          .constantFrom<Array<[string, string]>>(
            [['If-Match', '17']],
            [['If-Match', '"abc"']],
            [['If-Match', 'W/"1"x']],
            [['If-Match', '"1"']],
            [['If-Match', '"99999999999999999"']],
            [['If-Match', '"1", garbage']],
            [
              ['If-Match', '*'],
              ['If-None-Match', '*'],
            ],
            [['If-None-Match', '"1"']],
            [['If-Match', `"${'1'.repeat(20)}"`]],
            [['If-Match', '"-1"']],
            [['If-Match', '"1.5"']],
          )
          .filter((h) => t.method === 'PUT' || !h.some(([n, v]) => n === 'If-None-Match' && v === '*'))
          .map((hs) => (d: Draft) => {
            d.headers.push(...hs);
            d.what.push(`conditional ${hs.map((h) => h.join(': ')).join(', ')}`);
          }),
      ]);
    }
    corruptions.push([
      'header-size',
      fc.integer({ min: 17, max: 40 }).map((kib) => (d: Draft) => {
        d.headers.push(['X-Big', 'b'.repeat(kib * 1024)]);
        d.what.push(`${kib} KiB header`);
      }),
    ]);
    corruptions.push([
      'header-bytes',
      fc
        .constantFrom('X-A: b\rc', 'X-A: b\u0000c', 'X A: b', 'X-A : b', ': novalue', 'X-A: b\r\n folded', 'X-\u00e9: b')
        .map((h) => (d: Draft) => {
          d.headers.push([h, '\u0000RAW']);
          d.what.push(`bad header line ${JSON.stringify(h)}`);
        }),
    ]);

    const picked = fc.subarray(corruptions, { minLength: 1, maxLength: 3 }).chain((cs) => fc.tuple(...cs.map(([, arb]) => arb)));
    const noise = fc.tuple(fc.constantFrom(...ODD_QUERIES), fc.subarray(JUNK_HEADERS, { maxLength: 3 }));
    return fc.tuple(picked, noise).map(([apply, [query, junk]]) => {
      const d: Draft = {
        method: t.method,
        path: t.path(t.key),
        query,
        headers: [],
        body: t.body,
        contentType: t.body === undefined ? undefined : 'application/json',
        auth: t.auth === 'none' ? undefined : `Bearer ${t.auth === 'admin' ? creds.adminKey : creds.token}`,
        framing: undefined,
        what: [],
      };
      for (const f of apply) f(d);
      d.headers.push(...junk);
      const raw = render(d);
      return {
        what: d.what,
        raw,
        [fc.toStringMethod]: () =>
          `${d.what.join('; ')} :: ${JSON.stringify(raw.length > 400 ? `${raw.slice(0, 400)}…(${raw.length} bytes)` : raw)}`,
      };
    });
  });
}

function render(d: Draft): string {
  const lines = [`${d.method} ${d.path}${d.query} HTTP/1.1`, 'Host: api.test', 'Connection: close'];
  if (d.auth !== undefined) lines.push(`Authorization: ${d.auth}`);
  if (d.contentType !== undefined) lines.push(`Content-Type: ${d.contentType}`);
  for (const [name, value] of d.headers) lines.push(value === '\u0000RAW' ? name : `${name}: ${value}`);
  const body = d.body ?? '';
  if (d.framing !== undefined) lines.push(d.framing);
  else if (d.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
