/**
 * One way to make a logger: pino, JSON lines, each tagged with its component (and
 * node id when there is one), so the lines of many processes can share one stream.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  component: 'gateway' | 'node' | 'wechat-emulator' | 'up' | 'cli';
  nodeId?: string;
  /** Which worker of a multi-worker gateway (1-based). */
  worker?: number;
  /** @default process.env.MINISCALE_LOG_LEVEL ?? 'info' */
  level?: LevelWithSilent;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? (process.env.MINISCALE_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const base: Record<string, string> = { component: opts.component };
  if (opts.nodeId) base.nodeId = opts.nodeId;
  if (opts.worker !== undefined) base.worker = String(opts.worker);
  return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
}
