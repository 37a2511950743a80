/**
 * A local Redis Cluster for development and tests: redis-server processes that outlive
 * the CLI, formed into one cluster by `redis-cli --cluster create`. A manifest
 * (DIR/cluster.json) records every PID so `down` stops exactly what `up` started, and
 * nothing is ever signalled by name.
 *
 * This file is the public surface; each concept lives in its own file:
 * - redis-cluster-options.ts   options, defaults and their validation
 * - redis-cluster-errors.ts    the typed errors (each with a stable `code`)
 * - redis-cluster-manifest.ts  DIR/cluster.json, the record of a running cluster
 * - redis-cluster-plan.ts      what `up` must do, from what is on disk
 * - redis-cluster-nodes.ts     starting the redis-server processes, recognising them by PID
 * - redis-cluster-form.ts      forming the cluster with `redis-cli --cluster create`
 * - redis-cluster-ready.ts     waiting until every node reports a usable cluster
 * - resp-command.ts            the one-command RESP client the readiness checks use
 * - redis-cluster-up.ts        startRedisCluster (`up`)
 * - redis-cluster-down.ts      stopRedisCluster (`down`, `--purge`)
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
} from './redis-cluster-options.js';
export {
  ClusterCreateError,
  ClusterDirConflictError,
  ClusterManifestError,
  ClusterNodeQueryError,
  ClusterNotReadyError,
  ClusterStopError,
  PortInUseError,
  RedisClusterError,
} from './redis-cluster-errors.js';
export { readClusterManifest, seedUrlFor, type ClusterNodeInfo, type RunningCluster } from './redis-cluster-manifest.js';
export { isClusterNodeProcess } from './redis-cluster-nodes.js';
export { clusterInfo } from './redis-cluster-ready.js';
export { startRedisCluster } from './redis-cluster-up.js';
export { stopRedisCluster } from './redis-cluster-down.js';
