/**
 * The gateway's own failures, each with a stable code from the API's table, so a
 * client reads one error format whether a node or the gateway answered.
 */
import { MiniscaleError } from '../errors.js';

/** The per-try or total timeout ran out before an upstream answered. */
export class UpstreamTimeoutError extends MiniscaleError {
  readonly code = 'UPSTREAM_TIMEOUT';
}

/** The client sent more body than `--max-body` allows. */
export class BodyTooLargeError extends MiniscaleError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** The client went away; whatever was in flight for it is abandoned. */
export class ClientGoneError extends MiniscaleError {
  readonly code = 'VALIDATION_FAILED';
  constructor() {
    super('the client closed the connection');
  }
}
