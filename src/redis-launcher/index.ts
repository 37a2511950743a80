/**
 * A local Redis Cluster for development and tests: redis-server processes that outlive
 * the CLI, formed into one cluster by `redis-cli --cluster create`. A manifest
 * (DIR/cluster.json) records every PID so `down` stops exactly what `up` started, and
 * nothing is ever signalled by name.
 *
 * The launcher's public surface: what `miniscale redis-cluster`, `up --store
 * redis-cluster`, the tests and the benchmarks use.
 */
export {
  CLUSTER_BUS_OFFSET,
  CLUSTER_SLOTS,
  DEFAULT_BASE_PORT,
  DEFAULT_NODE_TIMEOUT_MS,
  DEFAULT_PRIMARIES,
  DEFAULT_REPLICAS,
  DEFAULT_STOP_GRACE_MS,
  MIN_PRIMARIES,
  type RedisClusterOptions,
  type StopClusterOptions,
} from './options.js';
export {
  ClusterCreateError,
  ClusterDirConflictError,
  ClusterManifestError,
  ClusterNodeQueryError,
  ClusterNotReadyError,
  ClusterStopError,
  PortInUseError,
  RedisClusterError,
} from '../core/errors.js';
export { readClusterManifest, seedUrlFor, type ClusterNodeInfo, type RunningCluster } from './manifest.js';
export { isClusterNodeProcess } from './nodes.js';
export { clusterInfo } from './ready.js';
export { startRedisCluster } from './up.js';
export { stopRedisCluster } from './down.js';
