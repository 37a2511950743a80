/**
 * The public port: where `up` (its workers or its gateway) and `gateway` take client
 * connections. MINISCALE_PORT is read here so both commands honour it the same way.
 */
import { ConfigError } from './errors.js';

export const DEFAULT_PORT = 8080;

export function portFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.MINISCALE_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(`MINISCALE_PORT must be a port number (got "${raw}")`);
  return n;
}
