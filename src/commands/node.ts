/**
 * `miniscale node`: one API node, in the foreground. SIGTERM/SIGINT drain it.
 * The node itself (Fastify and the rest) is imported only when this command runs, so
 * every other `miniscale` command starts without loading it.
 */
import { Command, Option } from 'commander';
import { resolveNodeOptions, type NodeFlags } from '../api/config.js';
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
      const node = await startNode(options);
      // Printed for scripts and supervisors that start nodes on port 0.
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: node.url, nodeId: node.nodeId, pid: process.pid })}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void node.drain().then(resolve, resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        // Started by a supervisor (`miniscale up`) over an IPC channel: when the
        // supervisor dies, even by SIGKILL, the channel closes and we leave with it.
        if (process.connected) process.once('disconnect', stop);
      });
      // The open IPC channel would keep this process alive after the drain.
      if (process.connected) process.disconnect();
    });
}
