/** `miniscale nginx-config`: print the nginx equivalent of the running topology. */
import { Command } from 'commander';
import { renderNginxConfig } from '../deploy/nginx-config.js';
import { readTopology } from '../local/topology-file.js';
import { ConfigError } from '../core/errors.js';
import { collect, integerIn } from './cli-options.js';

interface Flags {
  upstream: string[];
  data: string;
  port: number;
  standalone?: string;
}

export function registerNginxConfigCommand(program: Command): void {
  program
    .command('nginx-config')
    .description('print an nginx configuration that fronts the API nodes (the running `up` topology, or --upstream)')
    .option('--upstream <url>', 'an API node, http://host:port (repeatable; default: the nodes of the running `miniscale up`)', collect, [])
    .option('--data <dir>', 'data directory of the running `miniscale up`', './data')
    .option('--port <port>', 'port nginx listens on', integerIn('--port', 1, 65535), 8080)
    .option('--standalone <prefix>', 'print a complete nginx.conf using PREFIX for pid, logs and temp files')
    .action((flags: Flags) => {
      const upstreams = flags.upstream.length > 0 ? flags.upstream : readTopology(flags.data)?.nodes;
      if (!upstreams || upstreams.length === 0) {
        throw new ConfigError(`no upstreams: pass --upstream http://host:port, or start \`miniscale up --data ${flags.data}\` first`);
      }
      for (const u of upstreams) {
        if (!/^http:\/\/[^\s/]+:\d+\/?$/.test(u)) throw new ConfigError(`--upstream ${u}: expected http://host:port`);
      }
      process.stdout.write(
        renderNginxConfig({
          upstreams,
          listenPort: flags.port,
          ...(flags.standalone ? { standalone: { prefix: flags.standalone } } : {}),
        }),
      );
    });
}
