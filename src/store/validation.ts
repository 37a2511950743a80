/**
 * Argument checks shared by every driver, run once at the edge (guarded-store.ts) so
 * that drivers can trust what they receive and all drivers refuse the same inputs.
 */
import { ValidationError } from '../core/errors.js';
import type { JsonObject, JsonValue } from './store.js';

/** @default 512 — keys carry a prefix and a hash tag besides the caller's name. */
export const MAX_KEY_BYTES = 512;
/** @default 1 MiB — the API enforces its own, smaller limit (64 KiB) before this. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/** @default 100 — deeper nesting is refused rather than risking stack exhaustion. */
export const DEFAULT_MAX_VALUE_DEPTH = 100;
/** Largest `n` for `ztop`. */
export const MAX_TOP_N = 1000;

// Printable ASCII without space: safe in Redis keys, log lines and URLs alike.
const KEY_PATTERN = /^[\x21-\x7e]+$/;

export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_KEY_BYTES || !KEY_PATTERN.test(name)) {
    throw new ValidationError(`${what} must be 1-${MAX_KEY_BYTES} printable ASCII characters without spaces`);
  }
  return name;
}

export function checkPositiveInt(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new ValidationError(`${what} must be a positive integer`);
  }
  return n;
}

export function checkSafeInt(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new ValidationError(`${what} must be an integer between -(2^53-1) and 2^53-1`);
  }
  return n;
}

export function checkFinite(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new ValidationError(`${what} must be a finite number`);
  }
  return n;
}

/**
 * Serialises a value after checking it is plain JSON: JSON.stringify would silently
 * turn NaN into null or drop undefined, and the store must return exactly what it got.
 */
export function encodeJson(value: unknown, maxBytes: number, maxDepth: number): string {
  checkJsonShape(value, 0, maxDepth);
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > maxBytes) {
    throw new ValidationError(`value is larger than ${maxBytes} bytes as JSON`);
  }
  return json;
}

/** `depth` counts enclosing containers: `[[1]]` is two levels deep, a scalar alone zero. */
function checkJsonShape(value: unknown, depth: number, maxDepth: number): asserts value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError('value contains a number that is not finite');
    return;
  }
  if ((Array.isArray(value) || isPlainObject(value)) && depth >= maxDepth) {
    throw new ValidationError(`value is nested deeper than ${maxDepth} levels`);
  }
  if (Array.isArray(value)) {
    for (const item of value) checkJsonShape(item, depth + 1, maxDepth);
    return;
  }
  if (isPlainObject(value)) {
    for (const item of Object.values(value)) checkJsonShape(item, depth + 1, maxDepth);
    return;
  }
  throw new ValidationError(`value is not JSON (found ${typeof value})`);
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function checkJsonObject(what: string, value: unknown, maxBytes: number): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${what} must be a JSON object`);
  }
  encodeJson(value, maxBytes, DEFAULT_MAX_VALUE_DEPTH);
  return value as JsonObject;
}
