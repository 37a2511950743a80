/**
 * Forming the cluster: `redis-cli --cluster create` introduces the nodes to each other
 * (CLUSTER MEET), spreads the 16384 slots over the primaries (ADDSLOTS) and makes the
 * rest their replicas. Delegating to redis-cli keeps slot allocation and replica
 * placement exactly what Redis users know, instead of a second implementation here.
 */
import { ClusterCreateError } from '../core/errors.js';
import { execFile } from 'node:child_process';
import { findBinary } from './redis-server.js';

/** Forming a cluster on loopback takes a few seconds; a minute means something is wrong. */
const CREATE_TIMEOUT_MS = 60_000;
/** redis-cli prints a few lines per node; the cap only guards against a runaway. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Lines of redis-cli output quoted in an error: enough to say why, short enough to read. */
const DETAIL_LINES = 3;

/** Throws MissingDependencyError when redis-cli is not installed. */
export function redisCliBinary(): string {
  return findBinary('redis-cli', 'apt-get install -y redis-tools');
}

/** Joins the nodes on PORTS into one cluster with REPLICAS replicas per primary. */
export async function createCluster(ports: number[], replicas: number): Promise<void> {
  const args = ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'];
  const result = await run(redisCliBinary(), args, CREATE_TIMEOUT_MS);
  // redis-cli reports some failures with "[ERR]" and exit code 0, so check both.
  if (result.code !== 0 || /\[ERR\]/.test(result.output)) {
    throw new ClusterCreateError(`redis-cli --cluster create failed: ${failureDetail(result.output)}`);
  }
}

/** The error lines of redis-cli's output, or its last lines when none says ERR/error. */
function failureDetail(output: string): string {
  const errors = output
    .split('\n')
    .filter((l) => /ERR|error/i.test(l))
    .slice(-DETAIL_LINES)
    .join(' | ');
  return errors || output.trim().split('\n').slice(-DETAIL_LINES).join(' | ');
}

/** Runs BINARY and always resolves: the caller judges success from code and output. */
function run(binary: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      // A timeout shows up as an [ERR] line so createCluster reports it like any failure.
      const timedOut = err?.killed ? `\n[ERR] timed out after ${timeoutMs} ms` : '';
      resolve({ code, output: `${stdout}\n${stderr}${timedOut}` });
    });
  });
}
