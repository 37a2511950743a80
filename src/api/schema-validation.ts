/**
 * Request validation with two Ajv instances. Fastify's default validates every part
 * with `coerceTypes` and `removeAdditional`, which for a JSON body means `"ttl":"5"`
 * silently becomes 5 and unknown fields silently vanish — a client bug turned into
 * stored data. Bodies are therefore validated strictly; only params and query strings
 * (which are always text on the wire) are coerced.
 */
import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
const lenient = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : lenient;
  return ajv.compile(schema);
};
