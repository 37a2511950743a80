/**
 * One way to make a logger: pino, JSON lines, each tagged with its component (and
 * node id when there is one), so the lines of many processes can share one stream.
 */
import { pino, type Bindings, type ChildLoggerOptions, type Logger, type LevelWithSilent } from 'pino';

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

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's `childLoggerFactory` for request loggers (`request.log`): the pino child,
 * with the request id bound, is made on the request's first line that its level lets
 * through, not for every request. pino's `child()` serialises its bindings at once
 * (about 1 µs, bench/api), and at level info almost no request logs anything.
 * A route with its own log level or serializers gets an ordinary child.
 */
export function lazyRequestLogger<L extends { child(bindings: Bindings, opts?: ChildLoggerOptions): L }>(
  logger: L,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): L {
  if (opts.level !== undefined || opts.serializers !== undefined) return logger.child(bindings, opts);
  // The parent is always one of createLogger's pino loggers (Fastify's type for it is narrower).
  return new LazyChild(logger as unknown as Logger, bindings, opts) as unknown as L;
}

class LazyChild {
  #child: Logger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #opts: ChildLoggerOptions;

  constructor(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#opts = opts;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.#real().bindings();
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, opts);
  }

  silent(): void {}

  #real(): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#opts));
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  #log(level: LogLevel, args: unknown[]): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- pino's overloads need it for a spread
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }
}
