/**
 * Errors of the local Redis Cluster launcher. Each has a stable code. They extend Error
 * rather than MiniscaleError because ErrorCode in src/errors.ts is a closed union this
 * module does not own, and because the CLI prints a MiniscaleError's code in front of
 * its message: switching would change what `redis-cluster up|down` prints.
 */

export abstract class RedisClusterError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A node's client or bus port is taken by another process. */
export class PortInUseError extends RedisClusterError {
  readonly code = 'PORT_IN_USE';
  constructor(readonly port: number, message: string) {
    super(message);
  }
}

/** DIR holds a different cluster than the one asked for, or something we did not create. */
export class ClusterDirConflictError extends RedisClusterError {
  readonly code = 'CLUSTER_DIR_CONFLICT';
}

/** DIR/cluster.json exists but cannot be trusted to name our PIDs. */
export class ClusterManifestError extends RedisClusterError {
  readonly code = 'CLUSTER_MANIFEST_INVALID';
}

/** `redis-cli --cluster create` failed. */
export class ClusterCreateError extends RedisClusterError {
  readonly code = 'CLUSTER_CREATE_FAILED';
}

/** The nodes run but did not all reach cluster_state:ok in time. */
export class ClusterNotReadyError extends RedisClusterError {
  readonly code = 'CLUSTER_NOT_READY';
}

/** A node we own survived SIGKILL or could not be signalled. */
export class ClusterStopError extends RedisClusterError {
  readonly code = 'CLUSTER_STOP_FAILED';
}

/**
 * A node did not answer a command (refused, closed, timed out) or answered with a Redis
 * error. The message is the underlying one, so readiness reports read as before.
 */
export class ClusterNodeQueryError extends RedisClusterError {
  readonly code = 'CLUSTER_NODE_QUERY_FAILED';
}
