/**
 * The checks `resolveOptions` (options.ts) applies to single settings, each failing with
 * a ConfigError that names the flag or option and what it accepts. A leaf of the
 * gateway: it imports nothing of it.
 */
import net from 'node:net';
import { ConfigError } from '../core/errors.js';

export type HashKey = { kind: 'header'; name: string } | { kind: 'ip' };

/** The id an upstream is known by in the admin API: `host:port` of its URL. */
export function upstreamId(url: string): string {
  return new URL(url).host;
}

/** `http://host:port` with no path, query or credentials; returned as given (minus a trailing slash). */
export function checkUpstreamUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${what}: "${raw}" is not a URL (expected http://host:port)`);
  }
  if (u.protocol !== 'http:') throw new ConfigError(`${what}: "${raw}" must be http:// (TLS ends at the gateway)`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${what}: "${raw}" must be just http://host:port, with no path, query or credentials`);
  }
  return raw.replace(/\/$/, '');
}

export function parseHashKey(raw: string): HashKey {
  if (raw === 'ip') return { kind: 'ip' };
  const m = /^header:(.+)$/i.exec(raw);
  if (m?.[1]) return { kind: 'header', name: m[1].toLowerCase() };
  throw new ConfigError(`--hash-key must be header:NAME or ip (got "${raw}")`);
}

export function checkHashKey(key: HashKey): HashKey {
  if (key.kind === 'header' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key.name)) {
    throw new ConfigError(`--hash-key header:NAME needs a valid header name (got "${key.name}")`);
  }
  return key;
}

export function checkCidr(raw: string): string {
  const [addr, bits, extra] = raw.split('/');
  const family = net.isIP(addr ?? '');
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    !family ||
    extra !== undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^\d+$/.test(bits))
  ) {
    throw new ConfigError(`--trust-proxy must be an IP address or CIDR like 10.0.0.0/8 (got "${raw}")`);
  }
  return `${addr}/${prefix}`;
}

export function checkHost(host: string): string {
  if (!host || /[\s/]/.test(host)) throw new ConfigError(`--host must be an address to listen on (got "${host}")`);
  return host;
}

export function checkPath(p: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(p)) throw new ConfigError(`--health-path must start with / and contain no spaces (got "${p}")`);
  return p;
}

/** 0 (off), or a factor of at least 1.5: closer to 1, ordinary spread between nodes would eject them. */
export function latencyFactor(v: number): number {
  if (v === 0) return 0;
  return num('--latency-ejection', v, 1.5, 1000);
}

export function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

export function num(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}
