/**
 * Every typed error of Miniscale, grouped by the component that throws it. Each class
 * has one meaning and a stable `code` that clients, logs and tests rely on; codes map
 * to HTTP statuses in one place (error-response.ts). A `Symbol.for` brand (as undici does) keeps `isMiniscaleError` true
 * even when two copies of this module are loaded (e.g. tsx tests next to dist/).
 */
const kMiniscaleError = Symbol.for('miniscale.error');

import type { ApiErrorCode } from './error-response.js';

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

// --- The API: what a route refuses, and what WeChat made of a call ---

export class UnauthenticatedError extends MiniscaleError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends MiniscaleError {
  readonly code = 'FORBIDDEN';
}

export class NotFoundError extends MiniscaleError {
  readonly code = 'NOT_FOUND';
}

/** An admin drain that would leave no worker taking connections on the public port. */
export class DrainRefusedError extends MiniscaleError {
  readonly code = 'DRAIN_REFUSED';
}

/** A body over the limit: the route's at a node, `--max-body` at the gateway. */
export class PayloadTooLargeError extends MiniscaleError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** Over a rate limit; `retryAfterSec` becomes the `Retry-After` header. */
export class RateLimitedError extends MiniscaleError {
  readonly code = 'RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}

/** WeChat refused the login code: invalid (40029) or already used (40163). */
export class AuthCodeInvalidError extends MiniscaleError {
  readonly code = 'AUTH_CODE_INVALID';
}

/** WeChat flagged the user as risky (40226). */
export class AuthUserBlockedError extends MiniscaleError {
  readonly code = 'AUTH_USER_BLOCKED';
}

/** WeChat's own per-user login limit (45011: over 100 logins a minute). */
export class AuthRateLimitedError extends MiniscaleError {
  readonly code = 'AUTH_RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}

/** WeChat (or another upstream) could not be reached or answered something unusable. */
export class UpstreamUnavailableError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** An upstream (WeChat, or an API node behind the gateway) did not answer in the time allowed. */
export class UpstreamTimeoutError extends MiniscaleError {
  readonly code = 'UPSTREAM_TIMEOUT';
}

/** A code from a `getPhoneNumber` button that WeChat refused: unknown, expired or used (40029). */
export class WechatCodeInvalidError extends MiniscaleError {
  readonly code = 'WECHAT_CODE_INVALID';
}

/** `encryptedData` that does not decrypt with the caller's session_key, or is not for this app. */
export class DecryptFailedError extends MiniscaleError {
  readonly code = 'DECRYPT_FAILED';
}

/** `signature` is not sha1(rawData + session_key). */
export class SignatureInvalidError extends MiniscaleError {
  readonly code = 'SIGNATURE_INVALID';
}

/** WeChat does not know the openid as an active user (40003: not seen in the last 2 hours). */
export class WechatUserInactiveError extends MiniscaleError {
  readonly code = 'WECHAT_USER_INACTIVE';
}

/** WeChat's own rate limit on the call (45009); `retryAfterSec` becomes `Retry-After`. */
export class WechatRateLimitedError extends MiniscaleError {
  readonly code = 'WECHAT_RATE_LIMITED';
  constructor(
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}

/** The user has no subscription to the template left (43101). */
export class SubscriptionRefusedError extends MiniscaleError {
  readonly code = 'SUBSCRIPTION_REFUSED';
}

/** WeChat said the access_token is invalid (40001) or expired (42001): refresh centrally, retry once. */
export class WechatTokenRejectedError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  constructor(
    readonly errcode: number,
    message: string,
  ) {
    super(message);
  }
}

/** WeChat's -1 "system busy": retry once after a short back-off. */
export class WechatBusyError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

// --- The client's edge: refusals that also close the connection ---

/** The request target is over the URL limit (8 KiB). */
export class UriTooLongError extends MiniscaleError {
  readonly code = 'URI_TOO_LONG';
  readonly closesConnection = true;
}

/** No Host on HTTP/1.1, or a Transfer-Encoding that leaves the body's length unknowable. */
export class MalformedRequestError extends MiniscaleError {
  readonly code = 'VALIDATION_FAILED';
  readonly closesConnection = true;
}

// --- The gateway ---

/** The client went away; whatever was in flight for it is abandoned. */
export class ClientGoneError extends MiniscaleError {
  readonly code = 'VALIDATION_FAILED';
  constructor() {
    super('the client closed the connection');
  }
}

// --- `miniscale status`: the console read from outside ---

/** Nothing answers at the URL, or what answers is not a Miniscale gateway or `up`. */
export class StatsUnreachableError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** The stats were refused: not a loopback client, and no (or a wrong) admin key. */
export class StatsRefusedError extends MiniscaleError {
  readonly code = 'FORBIDDEN';
}

// --- Worker fleets (node:cluster primaries and their workers) ---

/** A worker exited (or hung) before it served. It said why on stderr; `exitCode` is its own. */
export class WorkerStartError extends MiniscaleError {
  readonly code = 'INTERNAL';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The primary did not answer in time, or could not build the answer. */
export class PrimaryLinkError extends MiniscaleError {
  readonly code = 'INTERNAL';
}

// --- The local Redis Cluster launcher ---

/**
 * The launcher's errors extend Error, not MiniscaleError: their codes are its own, not
 * the API's (ErrorCode is a closed union), and `redis-cluster up|down` prints only the
 * message where the other commands print a MiniscaleError's code in front of it.
 */
export abstract class RedisClusterError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A node's client or bus port is taken by another process. */
export class PortInUseError extends RedisClusterError {
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
  }
}

/** DIR holds a different cluster than the one asked for, or something we did not create. */
export class ClusterDirConflictError extends RedisClusterError {
  readonly code = 'CLUSTER_DIR_CONFLICT';
}

/** DIR/cluster.json exists but cannot be trusted to name our PIDs. */
export class ClusterManifestError extends RedisClusterError {
  readonly code = 'CLUSTER_MANIFEST_INVALID';
}

/** `redis-cli --cluster create` failed. */
export class ClusterCreateError extends RedisClusterError {
  readonly code = 'CLUSTER_CREATE_FAILED';
}

/** The nodes run but did not all reach cluster_state:ok in time. */
export class ClusterNotReadyError extends RedisClusterError {
  readonly code = 'CLUSTER_NOT_READY';
}

/** A node we own survived SIGKILL or could not be signalled. */
export class ClusterStopError extends RedisClusterError {
  readonly code = 'CLUSTER_STOP_FAILED';
}

/**
 * A node did not answer a command (refused, closed, timed out) or answered with a Redis
 * error. The message is the node's own, so a readiness report says what the node said.
 */
export class ClusterNodeQueryError extends RedisClusterError {
  readonly code = 'CLUSTER_NODE_QUERY_FAILED';
}
