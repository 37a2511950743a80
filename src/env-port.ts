/** MINISCALE_PORT, shared by `miniscale up` and `miniscale gateway`: where the gateway listens. */
import { ConfigError } from './errors.js';
import { DEFAULT_PORT } from './gateway/options.js';

export function portFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.MINISCALE_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new ConfigError(`MINISCALE_PORT must be a port number (got "${raw}")`);
  return n;
}
