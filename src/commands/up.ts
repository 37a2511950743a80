/**
 * `miniscale up`: the whole system in the foreground (see src/local/up.ts), one hop by
 * default, or behind the in-process gateway with `--gateway`.
 * Ctrl-C / SIGTERM stop it gracefully, a second one forces; SIGHUP replaces the nodes
 * one at a time (`miniscale restart` sends it).
 */
import { Command, Option } from 'commander';
import { onShutdown } from '../core/shutdown.js';
import type { Logger } from '../core/logging.js';
import { readyBanner } from '../local/ready-banner.js';
import type { RunningSystem } from '../local/up.js';
import { LOG_LEVELS, MAX_NODES, resolveUpOptions, type UpFlags } from '../local/up-options.js';
import { ALGORITHMS } from '../gateway/options.js';
import { STORE_DRIVERS } from '../store/index.js';
import { collect, integerIn, port } from './cli-options.js';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'run the whole system on this machine: API node workers sharing the public port (one hop), the store (+ WeChat emulator in dev mode)',
    )
    .option('--port <port>', 'public port (default $MINISCALE_PORT, else 8080; 0 = any free port)', port('--port'))
    .option('--host <host>', 'address the public port listens on (default 0.0.0.0, or 127.0.0.1 in dev mode)')
    .option('--nodes <n>', 'API node processes (default: CPU cores, at least 2)', integerIn('--nodes', 1, MAX_NODES))
    .option('--gateway', 'balance per request through a gateway in front of the nodes (a second hop: retries, latency-aware picking)')
    .option('--trust-proxy <cidr>', 'believe X-Forwarded-For from this proxy in front (repeatable; none by default)', collect)
    .addOption(new Option('--store <driver>', 'store driver').choices(STORE_DRIVERS as string[]).default('embedded'))
    .option(
      '--store-url <url>',
      'redis://host:port (comma-separated seeds for redis-cluster; none = launch a local cluster in DATA/redis-cluster)',
    )
    .option('--data <dir>', 'data directory: embedded store, admin key, topology', './data')
    .option(
      '--advertise <url>',
      "register this machine as http://HOST:PORT in the store's node registry, for `miniscale gateway --discover` on another machine (--store redis|redis-cluster)",
    )
    .addOption(new Option('--algorithm <name>', 'gateway balancing algorithm, with --gateway (default p2c-ewma)').choices([...ALGORITHMS]))
    .addOption(
      new Option('--log-level <level>', 'log level of every component (default $MINISCALE_LOG_LEVEL, else info)').choices(
        LOG_LEVELS as string[],
      ),
    )
    .option('--no-access-log', 'no log line per request at the gateway (--gateway)')
    .action(async (flags: UpFlags) => {
      const options = resolveUpOptions(flags);
      // Loaded once the flags are known good: a usage error costs no gateway or emulator load.
      const [{ createLogStream }, { startSystem }] = await Promise.all([import('../local/log-stream.js'), import('../local/up.js')]);
      const logs = createLogStream(process.stdout.isTTY === true);
      const system = await startSystem(options, logs);
      process.stdout.write(readyBanner(system.info));
      logs.logger('up', options.logLevel).info({ event: 'ready', ...system.info, pids: system.pids() }, 'system ready');
      await untilStopped(system, logs.logger('up', options.logLevel));
    });
}

/** The exit code of a forced stop: a shell's for an interrupted command (128 + SIGINT). */
const FORCED_EXIT_CODE = 130;

async function untilStopped(system: RunningSystem, log: Logger): Promise<void> {
  const onHangup = () => {
    system.rollingRestart().catch((err: unknown) => log.error({ err }, 'rolling restart failed; the nodes not yet replaced keep serving'));
  };
  process.on('SIGHUP', onHangup);
  await onShutdown(
    (signal) => {
      log.info({ signal }, 'shutting down (again to force)');
      return system.stop();
    },
    {
      again: {
        force: (signal) => {
          log.warn({ signal }, 'forced stop: killing every node now');
          system.forceStop();
        },
        exitCode: FORCED_EXIT_CODE,
      },
    },
  ).done;
  process.off('SIGHUP', onHangup);
}
