/**
 * `miniscale node`: one API node, in the foreground. SIGTERM/SIGINT drain it.
 * The node itself (Fastify and the rest) is imported only when this command runs, so
 * every other `miniscale` command starts without loading it. Forked by `miniscale up`
 * as a node:cluster worker, it shares the public port with its siblings and reports to
 * the primary (src/api/worker/) instead of printing its listening line.
 */
import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { resolveNodeOptions, type NodeFlags } from '../api/config.js';
import { onShutdown } from '../core/shutdown.js';
import { STORE_DRIVERS } from '../store/index.js';

export function registerNodeCommand(program: Command): void {
  program
    .command('node')
    .description('run one API node (stateless; talks to the store)')
    .option('--port <port>', 'port to listen on (0 = any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--node-id <id>', 'X-Node-Id of this process (default: generated, unique per process)')
    .addOption(new Option('--store <driver>', 'store driver').choices(STORE_DRIVERS as string[]).default('embedded'))
    .option('--store-url <url>', 'redis://host:port (comma-separated seeds for redis-cluster)')
    .option('--data <dir>', 'data directory (embedded store)', './data')
    .action(async (flags: NodeFlags) => {
      const options = resolveNodeOptions(flags);
      const { startNode } = await import('../api/index.js');
      const worker = cluster.isWorker ? { link: new (await import('../workers/link.js')).PrimaryLink() } : undefined;
      const node = await startNode(options, { worker }).catch((err: unknown) => {
        // An open IPC channel would keep this process alive after the error is printed;
        // the parent learns of the failure from the exit code.
        if (cluster.isWorker) cluster.worker!.disconnect();
        else if (process.connected) process.disconnect();
        throw err;
      });
      // Printed for scripts and supervisors that start nodes on port 0.
      if (!worker)
        process.stdout.write(`${JSON.stringify({ event: 'listening', url: node.url, nodeId: node.nodeId, pid: process.pid })}\n`);
      // Started by a supervisor over an IPC channel: when the supervisor dies, even by
      // SIGKILL, the channel closes and we leave with it. (A node:cluster worker
      // leaves at once by cluster's own rule.)
      await onShutdown(() => node.drain(), { onDisconnect: true, again: 'same-default' }).done;
      // The open IPC channel would keep this process alive after the drain; a cluster
      // worker leaves through cluster's disconnect, which tells the primary it meant to.
      if (cluster.isWorker) cluster.worker!.disconnect();
      else if (process.connected) process.disconnect();
    });
}
