/**
 * TypeBox schemas shared by routes. Validation and response serialisation come from
 * these, and docs/api.md is written against them.
 */
import { Type } from 'typebox';

/** Keys, counter and board names: the rule of docs/api.md, minus "." and "..", which URLs cannot carry (clients normalise them away). */
export const NAME_PATTERN = '^(?!\\.{1,2}$)[A-Za-z0-9._:-]{1,128}$';
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_VALUE_DEPTH = 64;
/** Largest TTL a client may ask for: 10 years, in seconds. */
export const MAX_TTL_SEC = 10 * 365 * 24 * 3600;

export const Name = Type.String({ pattern: NAME_PATTERN });
export const KeyParams = Type.Object({ key: Name });

/** A success answered with no body (204), as the OpenAPI document should show it: no content. */
export const NoContent = Type.Null({ description: 'No content' });

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const KvEntry = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  version: Type.Integer(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});

export const KvPutBody = Type.Object(
  {
    value: Type.Unknown(),
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TTL_SEC })),
  },
  { additionalProperties: false },
);
