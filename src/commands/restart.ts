/**
 * `miniscale restart`: a rolling restart of the nodes of a running `miniscale up`
 * (found through DATA/topology.json). Sends it SIGHUP and waits until the restart is
 * done, so a deploy script can go on only once every node runs the new code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { readTopology } from '../local/topology-file.js';
import { ConfigError, InternalError } from '../core/errors.js';
import { integerIn } from './cli-options.js';

interface Flags {
  data: string;
  timeout: number;
}

export function registerRestartCommand(program: Command): void {
  program
    .command('restart')
    .description('replace the nodes of a running `miniscale up` one at a time, with no failed request')
    .option('--data <dir>', 'data directory of the running `miniscale up`', './data')
    .option('--timeout <s>', 'give up waiting after this many seconds', integerIn('--timeout', 1, 3600), 300)
    .action(async (flags: Flags) => {
      const before = readTopology(flags.data);
      if (!before) throw new ConfigError(`no running \`miniscale up\` on ${flags.data} (no live topology.json there)`);
      process.kill(before.pid, 'SIGHUP');
      const deadline = Date.now() + flags.timeout * 1000;
      while (Date.now() < deadline) {
        await sleep(200);
        const now = readTopology(flags.data);
        if (!now) throw new InternalError(`miniscale up (PID ${before.pid}) stopped during the restart`);
        if (now.restarts > before.restarts) {
          if (now.lastRestartError) throw new InternalError(`the rolling restart stopped short: ${now.lastRestartError}`);
          process.stdout.write(`${JSON.stringify({ event: 'restarted', nodes: now.nodes })}\n`);
          return;
        }
      }
      throw new InternalError(
        `the rolling restart did not finish within ${flags.timeout} s; see the logs of miniscale up (PID ${before.pid})`,
      );
    });
}
