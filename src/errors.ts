/**
 * Typed errors shared by every component. Each class has one meaning and a stable
 * `code` that clients, logs and tests rely on; the HTTP layer maps codes to statuses
 * in one place. A `Symbol.for` brand (as undici does) keeps `isMiniscaleError` true
 * even when two copies of this module are loaded (e.g. tsx tests next to dist/).
 */
const kMiniscaleError = Symbol.for('miniscale.error');

import type { ApiErrorCode } from './http/error-response.js';

/** Every code a client can see (the API's table) plus the ones only operators see. */
export type ErrorCode = ApiErrorCode | 'MISSING_DEPENDENCY' | 'CONFIG_INVALID';

export abstract class MiniscaleError extends Error {
  abstract readonly code: ErrorCode;
  readonly [kMiniscaleError] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isMiniscaleError(err: unknown): err is MiniscaleError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kMiniscaleError] === true;
}

/** Input that can never succeed: a bad key, a value too large, a non-finite score. */
export class ValidationError extends MiniscaleError {
  readonly code = 'VALIDATION_FAILED';
}

/** A compare-and-set lost: `ifVersion` did not match, or `ifAbsent` found a value. */
export class VersionConflictError extends MiniscaleError {
  readonly code = 'VERSION_CONFLICT';
  /** The version found in the store, or null when the key was absent. */
  readonly currentVersion: number | null;

  constructor(message: string, currentVersion: number | null) {
    super(message);
    this.currentVersion = currentVersion;
  }
}

/**
 * The backend did not answer in time or is unreachable. For a write, the outcome is
 * unknown: it may still be applied later (e.g. a command Redis received before the
 * connection dropped). Callers must treat it as "maybe", never as "not done".
 */
export class StoreUnavailableError extends MiniscaleError {
  readonly code = 'STORE_UNAVAILABLE';
}

/** A program Miniscale starts (redis-server, redis-cli, nginx) is not installed. */
export class MissingDependencyError extends MiniscaleError {
  readonly code = 'MISSING_DEPENDENCY';
}

/** A flag, environment variable or option that cannot work; found at start-up. */
export class ConfigError extends MiniscaleError {
  readonly code = 'CONFIG_INVALID';
}

/** A bug or a backend answer we do not understand; never shown to clients in detail. */
export class InternalError extends MiniscaleError {
  readonly code = 'INTERNAL';
}
