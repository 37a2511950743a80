/**
 * `miniscale gateway`: the load balancer, in the foreground. Prints one JSON line
 * `{"event":"listening","url",...}` when ready (the same shape as `miniscale node`);
 * SIGTERM/SIGINT let in-flight requests finish, then exit. Numbers are checked while
 * parsing and the rest by the gateway's own option checks, so every bad flag is a
 * one-line usage error (exit 2). With `--workers N` this process becomes the primary
 * (gateway/workers/primary.ts) and N forked copies of this command serve the port; a
 * worker that cannot start (port taken, bad setting) ends it with the worker's exit code.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { onShutdown } from '../core/shutdown.js';
import { portFromEnv } from '../core/public-port.js';
import { collect, integerIn, numberIn, port } from './cli-options.js';
import { ConfigError } from '../core/errors.js';
import { ALGORITHMS, DEFAULTS, parseHashKey, resolveOptions, type Algorithm, type GatewayOptions } from '../gateway/options.js';
import { isLongEnoughAdminKey, MIN_ADMIN_KEY_LENGTH } from '../core/admin-key.js';
import { createLogger } from '../core/logging.js';
import { resolveStoreConfig, STORE_DRIVERS } from '../store/index.js';

interface GatewayFlags {
  port?: number;
  host?: string;
  upstream: string[];
  discover?: boolean;
  store?: string;
  storeUrl?: string;
  data?: string;
  discoverInterval?: number;
  algorithm?: Algorithm;
  hashKey?: string;
  hashBalance?: number;
  ewmaDecay?: number;
  trustProxy: string[];
  adminKeyFile?: string;
  healthPath?: string;
  healthInterval?: number;
  healthTimeout?: number;
  ejectAfter?: number;
  slowStart?: number;
  latencyEjection?: number;
  maxAttempts?: number;
  retryBudget?: number;
  tryTimeout?: number;
  totalTimeout?: number;
  headersTimeout?: number;
  requestTimeout?: number;
  idleTimeout?: number;
  maxBody?: number;
  poolConnections?: number;
  accessLog: boolean;
  workers: number;
}

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('run the load balancer in front of API nodes (static --upstream list, or --discover from the store)')
    .option('--port <port>', 'port to listen on (0 = any free port; default $MINISCALE_PORT, else 8080)', port('--port'))
    .option('--host <host>', `address to listen on (default ${DEFAULTS.listen.host})`)
    .option('--upstream <url>', 'an upstream http://host:port (repeatable)', collect, [])
    .option('--discover', "find upstreams in the store's node registry (nodes come and go with no restart)")
    .addOption(new Option('--store <driver>', 'store to discover from (with --discover)').choices(STORE_DRIVERS as string[]))
    .option('--store-url <url>', 'redis://host:port (comma-separated seeds for redis-cluster)')
    .option('--data <dir>', 'data directory of the embedded store (with --discover)')
    .option('--discover-interval <ms>', 'how often the registry is read', integerIn('--discover-interval', 50, 60_000))
    .addOption(new Option('--algorithm <name>', `balancing algorithm (default ${DEFAULTS.balancing.algorithm})`).choices([...ALGORITHMS]))
    .option('--hash-key <key>', 'what --algorithm hash hashes: header:NAME or ip (default ip)')
    .option(
      '--hash-balance <c>',
      `bounded-load factor of hash: no node above c × the mean load (default ${DEFAULTS.balancing.hashBalance})`,
      numberIn('--hash-balance', 1, 100),
    )
    .option(
      '--ewma-decay <ms>',
      `p2c-ewma latency decay time constant (default ${DEFAULTS.balancing.ewmaDecayMs})`,
      integerIn('--ewma-decay', 10, 600_000),
    )
    .option('--trust-proxy <cidr>', 'trust X-Forwarded-For from these proxies (repeatable)', collect, [])
    .option('--admin-key-file <path>', 'file holding the admin key for non-loopback /_gateway/ access (default: $MINISCALE_ADMIN_KEY)')
    .option('--health-path <path>', `active health check path (default ${DEFAULTS.healthChecks.path})`)
    .option(
      '--health-interval <ms>',
      `active health check interval, 0 = off (default ${DEFAULTS.healthChecks.intervalMs})`,
      integerIn('--health-interval', 0, 3_600_000),
    )
    .option(
      '--health-timeout <ms>',
      `active health check timeout (default ${DEFAULTS.healthChecks.timeoutMs})`,
      integerIn('--health-timeout', 10, 60_000),
    )
    .option(
      '--eject-after <n>',
      `consecutive failures that eject an upstream (default ${DEFAULTS.outlierDetection.ejectAfterFailures})`,
      integerIn('--eject-after', 1, 1000),
    )
    .option(
      '--slow-start <ms>',
      `ramp-up window of a returning upstream (default ${DEFAULTS.balancing.slowStartMs})`,
      integerIn('--slow-start', 0, 3_600_000),
    )
    .option(
      '--latency-ejection <factor>',
      "eject an upstream whose mean latency over a second is above factor × its peers' median (and 50 ms above it); " +
        `0 = off (default ${DEFAULTS.outlierDetection.latencyEjectionFactor})`,
      numberIn('--latency-ejection', 0, 1000),
    )
    .option(
      '--max-attempts <n>',
      `attempts per request, first try included (default ${DEFAULTS.retryPolicy.maxAttempts})`,
      integerIn('--max-attempts', 1, 10),
    )
    .option(
      '--retry-budget <ratio>',
      `retries allowed per request over a 10 s window, plus 3 (default ${DEFAULTS.retryPolicy.budgetRatio})`,
      numberIn('--retry-budget', 0, 10),
    )
    .option(
      '--try-timeout <ms>',
      `per-attempt timeout to response headers (default ${DEFAULTS.timeouts.tryMs})`,
      integerIn('--try-timeout', 1, 3_600_000),
    )
    .option(
      '--total-timeout <ms>',
      `total time for a request, retries included (default ${DEFAULTS.timeouts.totalMs})`,
      integerIn('--total-timeout', 1, 3_600_000),
    )
    .option(
      '--headers-timeout <ms>',
      `time a client has to send its headers (default ${DEFAULTS.timeouts.headersMs})`,
      integerIn('--headers-timeout', 100, 3_600_000),
    )
    .option(
      '--request-timeout <ms>',
      `time a client has to send its whole request (default ${DEFAULTS.timeouts.requestMs})`,
      integerIn('--request-timeout', 100, 3_600_000),
    )
    .option(
      '--idle-timeout <ms>',
      `idle keep-alive client connections are closed after this (default ${DEFAULTS.timeouts.clientIdleMs})`,
      integerIn('--idle-timeout', 100, 3_600_000),
    )
    .option(
      '--max-body <bytes>',
      `largest request body accepted (default ${DEFAULTS.limits.maxBodyBytes})`,
      integerIn('--max-body', 0, 2 ** 40),
    )
    .option(
      '--pool-connections <n>',
      `connections per upstream (default ${DEFAULTS.pool.connections})`,
      integerIn('--pool-connections', 1, 100_000),
    )
    .option('--no-access-log', 'no log line per request')
    .option(
      '--workers <n>',
      'processes serving traffic on the one port, each with its own health state ("auto": one per CPU core)',
      workersArg,
      1,
    )
    .action(async (flags: GatewayFlags) => {
      const options = toOptions(flags);
      if (flags.workers > 1 && cluster.isPrimary) return runPrimary(flags.workers, options);
      // Loaded here, not at the top: every other `miniscale` command would pay for them.
      const { WorkerLink, workerEnv } = await import('../gateway/workers/link.js');
      const link = cluster.isWorker ? new WorkerLink() : undefined;
      const { worker, drained } = workerEnv();
      const { startGateway } = await import('../gateway/index.js');
      const gw = await startGateway({
        ...options,
        cluster: link,
        admin: { ...options.admin, drained: link ? drained : undefined },
        logger: link ? createLogger({ component: 'gateway', worker }) : undefined,
      }).catch((err: unknown) => {
        // An open IPC channel (a cluster worker's, a supervisor's) would keep this
        // process alive after the error is printed; the parent learns from the exit.
        // A cluster worker leaves through cluster's own disconnect, which (unlike a bare
        // process.disconnect()) does not make it exit 0 at once.
        if (cluster.isWorker) cluster.worker!.disconnect();
        else if (process.connected) process.disconnect();
        throw err;
      });
      if (link) {
        link.ready({ url: gw.url, port: gw.port, algorithm: gw.algorithm });
      } else {
        process.stdout.write(
          `${JSON.stringify({ event: 'listening', url: gw.url, port: gw.port, pid: process.pid, algorithm: gw.algorithm })}\n`,
        );
      }
      // A worker hears a terminal's Ctrl-C (sent to the whole process group) and then its
      // primary's SIGTERM: the second must not cut the drain the first began. A gateway
      // on its own keeps "a second signal ends it now".
      await onShutdown(() => gw.close(), { onDisconnect: true, again: link ? 'same-default' : 'default' }).done;
      if (process.connected) process.disconnect();
    });
}

/**
 * The primary of `--workers N`: forks the workers (each re-runs this command), prints
 * the listening line once all of them listen, and stops them on SIGTERM/SIGINT. A
 * worker that fails to start has printed why; the primary then fails with its exit code.
 */
async function runPrimary(workers: number, options: GatewayOptions): Promise<void> {
  const resolved = resolveOptions(options); // every setting checked once, before forking N copies
  const log = createLogger({ component: 'gateway' });
  const { GatewayPrimary } = await import('../gateway/workers/primary.js');
  const primary = new GatewayPrimary({
    workers,
    log,
    algorithm: resolved.balancing.algorithm,
    stopGraceMs: resolved.timeouts.closeGraceMs + 5_000,
  });
  // Listening for signals from the start: a SIGTERM while workers start stops them too.
  const stopped = onShutdown(() => primary.stop(), { onDisconnect: true });
  try {
    const info = await primary.start(); // a WorkerStartError carries the worker's exit code to main()
    if (info)
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', url: info.url, port: info.port, pid: process.pid, algorithm: info.algorithm, workers, workerPids: primary.pids() })}\n`,
      );
    await stopped.done;
    log.info('gateway stopped');
  } finally {
    stopped.dispose();
    // A parent's IPC channel would keep this process alive.
    if (process.connected) process.disconnect();
  }
}

/** The flags in the gateway's option groups; checks and defaults are resolveOptions' alone. */
function toOptions(f: GatewayFlags): GatewayOptions {
  if (!f.discover && (f.store || f.storeUrl || f.data)) throw new ConfigError('--store, --store-url and --data only apply with --discover');
  return {
    listen: { port: f.port ?? portFromEnv(), host: f.host },
    upstreams: f.upstream,
    discovery: {
      store: f.discover ? resolveStoreConfig({ store: f.store, storeUrl: f.storeUrl, data: f.data }) : undefined,
      intervalMs: f.discoverInterval,
    },
    balancing: {
      algorithm: f.algorithm,
      hashKey: f.hashKey === undefined ? undefined : parseHashKey(f.hashKey),
      hashBalance: f.hashBalance,
      ewmaDecayMs: f.ewmaDecay,
      slowStartMs: f.slowStart,
    },
    healthChecks: { path: f.healthPath, intervalMs: f.healthInterval, timeoutMs: f.healthTimeout },
    outlierDetection: { ejectAfterFailures: f.ejectAfter, latencyEjectionFactor: f.latencyEjection },
    retryPolicy: { maxAttempts: f.maxAttempts, budgetRatio: f.retryBudget },
    timeouts: {
      tryMs: f.tryTimeout,
      totalMs: f.totalTimeout,
      headersMs: f.headersTimeout,
      requestMs: f.requestTimeout,
      clientIdleMs: f.idleTimeout,
    },
    limits: { maxBodyBytes: f.maxBody },
    pool: { connections: f.poolConnections },
    trustProxy: f.trustProxy,
    admin: { key: adminKey(f.adminKeyFile) },
    accessLog: f.accessLog,
  };
}

function adminKey(file: string | undefined): string | undefined {
  if (!file) {
    const key = process.env.MINISCALE_ADMIN_KEY || undefined;
    if (key !== undefined && !isLongEnoughAdminKey(key))
      throw new ConfigError(`MINISCALE_ADMIN_KEY is shorter than ${MIN_ADMIN_KEY_LENGTH} characters`);
    return key;
  }
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`--admin-key-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!isLongEnoughAdminKey(key))
    throw new ConfigError(`--admin-key-file: the key in ${file} is shorter than ${MIN_ADMIN_KEY_LENGTH} characters`);
  return key;
}

/** Beyond this, workers only take CPU from each other (and each opens its own upstream pools). */
const MAX_WORKERS = 64;

function workersArg(raw: string): number {
  if (raw.trim() === 'auto') return Math.min(MAX_WORKERS, availableParallelism());
  return integerIn('--workers', 1, MAX_WORKERS)(raw);
}
