/**
 * Flag parsers that commander calls while parsing, shared by every `miniscale` command.
 * A bad value throws commander's InvalidArgumentError, so it is a one-line usage error
 * (exit 2) before anything starts; each message names the flag and the allowed range.
 */
import { InvalidArgumentError } from 'commander';

/** The highest TCP port. */
const MAX_PORT = 65535;

/**
 * Decimal digits only (surrounding blanks allowed): Number() alone would also take
 * '', '0x1B58', '7e3' and '7000.5'.
 */
export function integerIn(flag: string, min: number, max: number, reason?: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}${reason ? ` (${reason})` : ''}`);
    }
    return n;
  };
}

/** A port to listen on; 0 lets the OS pick a free one. */
export function port(flag: string): (raw: string) => number {
  return integerIn(flag, 0, MAX_PORT);
}

/** Any finite decimal number (fractions and exponents included) within the range. */
export function numberIn(flag: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!isNumberIn(raw, n, min, max)) throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}`);
    return n;
  };
}

/** A duration in seconds, fractions allowed (`--interval 0.5`). */
export function seconds(flag: string, min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!isNumberIn(raw, n, min, max)) throw new InvalidArgumentError(`${flag} must be a number of seconds from ${min} to ${max}`);
    return n;
  };
}

/** A value that must say something: an empty or blank one would pass silently as "unset". */
export function nonEmpty(flag: string): (raw: string) => string {
  return (raw) => {
    if (!raw.trim()) throw new InvalidArgumentError(`${flag} must not be empty`);
    return raw;
  };
}

/** A repeatable flag: each occurrence adds its value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Number('') and Number('  ') are 0: a blank value is not a number. */
function isNumberIn(raw: string, n: number, min: number, max: number): boolean {
  return raw.trim() !== '' && Number.isFinite(n) && n >= min && n <= max;
}
