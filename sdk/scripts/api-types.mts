/**
 * Writes sdk/src/api-types.ts — the request and response types of every route — from
 * the server's OpenAPI document (`GET /v1/openapi.json`), which the server generates
 * from the schemas it validates with. The SDK's types therefore come from the same
 * schemas as the server's checks; a test regenerates the file from a running server
 * and fails if the committed one differs.
 *
 *   node --import tsx sdk/scripts/api-types.mts http://127.0.0.1:8080
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
};
type Media = { content?: Record<string, { schema?: Schema }> };
type Operation = {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: Schema }>;
  requestBody?: Media & { required?: boolean };
  responses?: Record<string, Media>;
};
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export const API_TYPES_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/api-types.ts');

const HEADER = `/**
 * Generated from the server's OpenAPI document (GET /v1/openapi.json) by
 * sdk/scripts/api-types.mts. Do not edit: regenerate it from a running server.
 * One entry per route, keyed "METHOD /path" as in the document.
 */
`;

export function renderApiTypes(doc: OpenApiDocument): string {
  const routes: string[] = [];
  for (const [url, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const parts = [`    body: ${bodyType(op)};`, `    query: ${queryType(op)};`, `    response: ${responseType(op)};`];
      routes.push(`  '${method.toUpperCase()} ${url}': {\n${parts.join('\n')}\n  };`);
    }
  }
  return `${HEADER}export interface ApiRoutes {\n${routes.join('\n')}\n}\n`;
}

function jsonSchema(media: Media | undefined): Schema | undefined {
  return media?.content?.['application/json']?.schema;
}

function bodyType(op: Operation): string {
  const schema = jsonSchema(op.requestBody);
  if (!schema) return 'undefined';
  return op.requestBody?.required ? tsType(schema, 4) : `${tsType(schema, 4)} | undefined`;
}

function queryType(op: Operation): string {
  const query = (op.parameters ?? []).filter((p) => p.in === 'query');
  if (query.length === 0) return 'undefined';
  return objectType(
    Object.fromEntries(query.map((p) => [p.name, p.schema ?? {}])),
    query.filter((p) => p.required).map((p) => p.name),
    4,
  );
}

/** The first 2xx answer's JSON; `void` for a success without a JSON body (204). */
function responseType(op: Operation): string {
  const success = Object.keys(op.responses ?? {})
    .filter((status) => /^2\d\d$/.test(status))
    .sort()[0];
  const schema = success === undefined ? undefined : jsonSchema(op.responses?.[success]);
  return schema ? tsType(schema, 4) : 'void';
}

function tsType(s: Schema, indent: number): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = s.anyOf ?? s.oneOf;
  if (union) return union.map((u) => tsType(u, indent)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => tsType({ ...s, type: t }, indent)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${s.items ? tsType(s.items, indent) : 'unknown'}>`;
    case 'object':
      return s.properties ? objectType(s.properties, s.required ?? [], indent) : recordType(s, indent);
    default:
      return 'unknown';
  }
}

function objectType(properties: Record<string, Schema>, required: string[], indent: number): string {
  const pad = ' '.repeat(indent + 2);
  const lines = Object.entries(properties).map(([name, schema]) => {
    const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
    return `${pad}${key}${required.includes(name) ? '' : '?'}: ${tsType(schema, indent + 2)};`;
  });
  return `{\n${lines.join('\n')}\n${' '.repeat(indent)}}`;
}

function recordType(s: Schema, indent: number): string {
  const extra = s.additionalProperties;
  return `Record<string, ${typeof extra === 'object' ? tsType(extra, indent) : 'unknown'}>`;
}

async function main(base: string | undefined): Promise<void> {
  if (!base) {
    process.stderr.write('usage: node --import tsx sdk/scripts/api-types.mts http://HOST:PORT\n');
    process.exit(2);
  }
  const res = await fetch(new URL('/v1/openapi.json', base));
  if (!res.ok) throw new Error(`GET /v1/openapi.json: ${res.status}`);
  writeFileSync(API_TYPES_FILE, renderApiTypes((await res.json()) as OpenApiDocument));
  process.stdout.write(`wrote ${API_TYPES_FILE}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv[2]);
