/**
 * `miniscale redis-cluster up|down`: a local Redis Cluster for development and tests.
 * `up` prints only the seed URL on stdout so scripts can capture it; progress goes to
 * stderr. Numbers are checked while parsing so a bad value is a usage error (exit 2).
 */
import { Command, type OptionValueSource } from 'commander';
import {
  CLUSTER_BUS_OFFSET,
  DEFAULT_BASE_PORT,
  DEFAULT_NODE_TIMEOUT_MS,
  DEFAULT_PRIMARIES,
  DEFAULT_REPLICAS,
  startRedisCluster,
  stopRedisCluster,
} from '../redis-launcher/index.js';
import { integerIn } from './cli-options.js';

export const DEFAULT_CLUSTER_DIR = './data/redis-cluster';
/** Nodes in the default topology (3 primaries × (1 + 1 replica)). */
const DEFAULT_NODE_COUNT = DEFAULT_PRIMARIES * (1 + DEFAULT_REPLICAS);
/** The highest base port that leaves room for the default nodes and their bus ports. */
const MAX_BASE_PORT = 65535 - CLUSTER_BUS_OFFSET - (DEFAULT_NODE_COUNT - 1);
/** A typo like `--replicas 100` would start 303 servers; nobody needs that locally. */
const MAX_REPLICAS = 10;
/** Below ~100 ms a busy laptop marks healthy nodes as failed. */
const MIN_NODE_TIMEOUT_MS = 100;
const MAX_NODE_TIMEOUT_MS = 600_000;

/** BASE..BASE+5 and their bus ports must all be valid ports. */
const parseBasePort = integerIn(
  '--port',
  1,
  MAX_BASE_PORT,
  `the cluster also uses BASE+${DEFAULT_NODE_COUNT - 1} and bus port BASE+${CLUSTER_BUS_OFFSET + DEFAULT_NODE_COUNT - 1}`,
);

interface UpOptions {
  dir: string;
  port: number;
  replicas: number;
  nodeTimeout: number;
}

interface DownOptions {
  dir: string;
  purge?: boolean;
}

export function registerRedisClusterCommand(program: Command): void {
  const cluster = program
    .command('redis-cluster')
    .description('a local Redis Cluster (3 primaries, 1 replica each) for development and tests');
  registerUp(cluster);
  registerDown(cluster);
}

function registerUp(cluster: Command): void {
  cluster
    .command('up')
    .description('start the cluster (or resume the one in --dir) and print its seed URL')
    .option('--dir <dir>', 'data directory: cluster.json and one folder per node', DEFAULT_CLUSTER_DIR)
    .option(
      '--port <base>',
      `first port; nodes use BASE..BASE+5 and bus ports BASE+${CLUSTER_BUS_OFFSET}..`,
      parseBasePort,
      DEFAULT_BASE_PORT,
    )
    .option('--replicas <n>', `replicas per primary (0-${MAX_REPLICAS})`, integerIn('--replicas', 0, MAX_REPLICAS), DEFAULT_REPLICAS)
    .option(
      '--node-timeout <ms>',
      'cluster-node-timeout in milliseconds',
      integerIn('--node-timeout', MIN_NODE_TIMEOUT_MS, MAX_NODE_TIMEOUT_MS),
      DEFAULT_NODE_TIMEOUT_MS,
    )
    .action(async (options: UpOptions, command: Command) => {
      checkPortRoom(command, options);
      // Only flags the user typed may contradict a cluster already in --dir; defaults must not.
      const given = <T>(name: string, value: T): T | undefined => (isExplicit(command.getOptionValueSource(name)) ? value : undefined);
      const running = await startRedisCluster({
        dir: options.dir,
        basePort: given('port', options.port),
        replicas: given('replicas', options.replicas),
        nodeTimeoutMs: options.nodeTimeout,
        log: (message) => process.stderr.write(`miniscale: ${message}\n`),
      });
      process.stdout.write(`${running.seedUrl}\n`);
    });
}

function registerDown(cluster: Command): void {
  cluster
    .command('down')
    .description('stop the servers recorded in --dir (by PID); keep the data unless --purge')
    .option('--dir <dir>', 'data directory given to `up`', DEFAULT_CLUSTER_DIR)
    .option('--purge', 'also delete the data directory')
    .action(async (options: DownOptions) => {
      const result = await stopRedisCluster(options.dir, { purge: options.purge ?? false });
      for (const node of result.skipped) {
        process.stderr.write(`miniscale: left PID ${node.pid} alone: it is no longer the redis-server on port ${node.port}\n`);
      }
      process.stdout.write(`stopped ${result.stopped} redis-server node(s)${options.purge ? ' and removed the data' : ''}\n`);
    });
}

function isExplicit(source: OptionValueSource | undefined): boolean {
  return source !== undefined && source !== 'default';
}

/** More replicas need more ports than the parse-time check assumed. */
function checkPortRoom(command: Command, options: UpOptions): void {
  const nodes = DEFAULT_PRIMARIES * (1 + options.replicas);
  const lastBus = options.port + nodes - 1 + CLUSTER_BUS_OFFSET;
  if (lastBus > 65535) {
    command.error(`error: --port ${options.port} leaves no room for ${nodes} nodes: bus port ${lastBus} is above 65535`, {
      exitCode: 2,
      code: 'miniscale.portRange',
    });
  }
}
