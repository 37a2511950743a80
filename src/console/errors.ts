/** Errors of the console's client side (`miniscale status`); main() prints them on one line, exit 1. */
import { MiniscaleError } from '../errors.js';

/** Nothing answers at the URL, or what answers is not a Miniscale gateway or `up`. */
export class StatsUnreachableError extends MiniscaleError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** The stats were refused: not a loopback client, and no (or a wrong) admin key. */
export class StatsRefusedError extends MiniscaleError {
  readonly code = 'FORBIDDEN';
}
