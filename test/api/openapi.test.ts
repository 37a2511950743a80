/**
 * `GET /v1/openapi.json` from a real `miniscale up`: an OpenAPI 3.1 document (checked
 * against the specification's required structure), whose schemas compile as JSON Schema
 * 2020-12 and describe what the API really answers, which names every route
 * docs/api.md documents and no other, and from which the SDK's committed types are
 * generated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { API_TYPES_FILE, renderApiTypes, type OpenApiDocument } from '../../sdk/scripts/api-types.mjs';
import { call, login } from '../support/api-nodes.js';
import { REPO_ROOT } from '../support/processes.js';
import { tempDir, type TempDir } from '../support/redis.js';
import { killAllUp, startUp, stopUp, type UpHandle } from '../support/up.js';
import { docRoutes } from './doc-routes.js';

type Json = Record<string, unknown>;
type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Json }>;
  requestBody?: { content: Record<string, { schema?: Json }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Json }> }>;
  security?: Array<Record<string, string[]>>;
};
type Document = OpenApiDocument & { openapi: string; info?: Json; paths: Record<string, Record<string, Operation>>; components: Json };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The parts of the OpenAPI 3.1 schema (spec.openapis.org/oas/3.1/schema) every document must satisfy. */
const OPENAPI_31 = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' } } },
    paths: { type: 'object', propertyNames: { pattern: '^/' }, additionalProperties: { $ref: '#/$defs/pathItem' } },
    components: {
      type: 'object',
      properties: {
        schemas: { type: 'object', additionalProperties: { type: ['object', 'boolean'] } },
        responses: { type: 'object', additionalProperties: { $ref: '#/$defs/response' } },
        securitySchemes: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['type'],
            properties: { type: { enum: ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'] } },
          },
        },
      },
    },
  },
  $defs: {
    pathItem: {
      type: 'object',
      propertyNames: { enum: [...METHODS, 'parameters', 'summary', 'description', 'servers', '$ref'] },
      patternProperties: { [`^(${METHODS.join('|')})$`]: { $ref: '#/$defs/operation' } },
    },
    operation: {
      type: 'object',
      required: ['responses'],
      properties: {
        parameters: { type: 'array', items: { $ref: '#/$defs/parameter' } },
        requestBody: { type: 'object', required: ['content'], properties: { content: { type: 'object', minProperties: 1 } } },
        responses: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' },
          additionalProperties: {
            oneOf: [{ $ref: '#/$defs/response' }, { type: 'object', required: ['$ref'], properties: { $ref: { type: 'string' } } }],
          },
        },
        security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
      },
    },
    parameter: {
      type: 'object',
      required: ['name', 'in'],
      properties: { name: { type: 'string' }, in: { enum: ['query', 'header', 'path', 'cookie'] } },
      if: { properties: { in: { const: 'path' } } },
      then: { required: ['required'], properties: { required: { const: true } } },
    },
    response: {
      type: 'object',
      required: ['description'],
      not: { required: ['$ref'] },
      properties: { description: { type: 'string' }, content: { type: 'object' } },
    },
  },
};

describe('GET /v1/openapi.json', { timeout: 120_000 }, () => {
  let dir: TempDir;
  let up: UpHandle;
  let text: string;
  let doc: Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });

  before(async () => {
    dir = tempDir('miniscale-openapi-');
    up = await startUp(['--nodes', '1', '--data', dir.path]);
    const res = await call(up.url, 'GET', '/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    text = res.text;
    doc = JSON.parse(text) as Document;
  });

  after(async () => {
    if (up) await stopUp(up).catch(() => undefined);
    killAllUp();
    dir?.cleanup();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([url, item]) =>
      Object.entries(item)
        .filter(([m]) => METHODS.includes(m))
        .map(([method, op]) => ({ url, method: method.toUpperCase(), op })),
    );

  it("is an OpenAPI 3.1 document: the specification's required structure, every $ref resolving, every path parameter declared", () => {
    const validate = ajv.compile(OPENAPI_31);
    assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
    // The check can fail: each of these breaks the specification.
    const broken: Array<(d: Document) => void> = [
      (d) => {
        d.openapi = '3.0.3';
      },
      (d) => {
        delete d.info;
      },
      (d) => {
        d.paths['/v1/me/kv/{key}']!.get!.responses = {};
      },
      (d) => {
        d.paths['/v1/me/kv/{key}']!.get!.parameters![0]!.required = false;
      },
      (d) => {
        d.paths['/v1/counters/{name}']!.post!.responses['200'] = {};
      },
    ];
    for (const breakIt of broken) {
      const copy: Document = structuredClone(doc);
      breakIt(copy);
      assert.equal(validate(copy), false, breakIt.toString());
    }
    for (const ref of text.match(/"\$ref":"[^"]*"/g) ?? []) {
      const pointer = JSON.parse(`{${ref}}`).$ref as string;
      assert.ok(pointer.startsWith('#/'), `${pointer} is local`);
      assert.notEqual(resolve(doc, pointer), undefined, `${pointer} resolves`);
    }
    for (const { url, method, op } of operations()) {
      const templated = [...url.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      assert.deepEqual(declared, templated, `${method} ${url}`);
    }
  });

  it('has schemas that compile as JSON Schema 2020-12', () => {
    let compiled = 0;
    for (const { url, method, op } of operations()) {
      const schemas = [
        ...(op.parameters ?? []).map((p) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((m) => m.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((m) => m.schema)),
      ].filter((s): s is Json => s !== undefined);
      for (const schema of schemas) {
        assert.doesNotThrow(() => ajv.compile(schema), `${method} ${url}`);
        compiled++;
      }
    }
    assert.ok(compiled > 20, `${compiled} schemas`);
  });

  it("gives every operation the API's error shape for 4XX and 5XX, and a real error answer matches it", async () => {
    for (const { url, method, op } of operations()) {
      assert.equal(op.responses['4XX']?.$ref, '#/components/responses/Error', `${method} ${url}`);
      assert.equal(op.responses['5XX']?.$ref, '#/components/responses/Error', `${method} ${url}`);
    }
    const errorSchema = ajv.compile(resolve(doc, '#/components/schemas/Error') as Json);
    for (const [method, url, status] of [
      ['GET', '/v1/me/kv/x', 401],
      ['GET', '/v1/admin/kv/x', 403],
      ['GET', '/v1/nowhere', 404],
    ] as const) {
      const res = await call(up.url, method, url);
      assert.equal(res.status, status);
      assert.ok(errorSchema(res.body), `${url}: ${res.text}`);
    }
  });

  it('describes what the routes really answer', async () => {
    const success = (method: string, url: string) =>
      ajv.compile(doc.paths[url]![method]!.responses['200']!.content!['application/json']!.schema!);
    const session = await login(up.url, 'openapi');
    assert.ok(success('post', '/v1/auth/login')(session));
    const put = await call(up.url, 'PUT', '/v1/me/kv/doc', { token: session.token, json: { value: { a: [1, 'b', null] } } });
    assert.ok(success('put', '/v1/me/kv/{key}')(put.body), put.text);
    const board = await call(up.url, 'PUT', '/v1/leaderboards/doc/me', { token: session.token, json: { score: 3 } });
    assert.ok(success('put', '/v1/leaderboards/{board}/me')(board.body), board.text);
    const top = await call(up.url, 'GET', '/v1/leaderboards/doc?limit=3', { token: session.token });
    assert.ok(success('get', '/v1/leaderboards/{board}')(top.body), top.text);
  });

  it('declares the credential each route asks for: no token → 401 on session routes, 403 on admin routes, neither on public ones', async () => {
    for (const { url, method, op } of operations()) {
      // Also answered to loopback clients, which is what this test is.
      if (url === '/metrics') continue;
      const scheme = Object.keys(op.security?.[0] ?? {})[0] ?? 'none';
      const target = url.replace(/\{[^}]+\}/g, 'openapi-x');
      const res = await call(up.url, method, target, method === 'GET' || method === 'HEAD' ? {} : { json: {} });
      const expected = { session: 401, adminKey: 403, none: undefined }[scheme];
      if (expected === undefined) assert.ok(res.status !== 401 && res.status !== 403, `${method} ${url}: ${res.status}`);
      else assert.equal(res.status, expected, `${method} ${url} (${scheme})`);
    }
  });

  it('is built once: every request gets the same bytes', async () => {
    const again = await call(up.url, 'GET', '/v1/openapi.json');
    assert.equal(again.text, text);
  });

  it('names every route docs/api.md documents, and docs/api.md documents every route it names', () => {
    const documented = docRoutes(readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8'));
    const served = new Set(operations().map(({ method, url }) => `${method} ${url}`));
    assert.deepEqual([...served].filter((r) => !documented.has(r)).sort(), [], 'routes in the document that docs/api.md does not describe');
    assert.deepEqual([...documented].filter((r) => !served.has(r)).sort(), [], 'routes docs/api.md describes that the document lacks');
  });

  it("is what the SDK's committed types (sdk/src/api-types.ts) were generated from", () => {
    assert.equal(
      readFileSync(API_TYPES_FILE, 'utf8'),
      renderApiTypes(doc),
      'sdk/src/api-types.ts is stale: regenerate it with `node --import tsx sdk/scripts/api-types.mts URL` against a running server',
    );
  });
});

function resolve(doc: unknown, pointer: string): unknown {
  return pointer
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}
