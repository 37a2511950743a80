/**
 * The guard process of guard.ts: waits for its parent's IPC channel to close,
 * then stops the Redis Cluster in the directory it was given (argv[2]) and exits.
 */
import { stopRedisCluster } from './index.js';

const STOP_GRACE_MS = 3_000;
const dir = process.argv[2];
if (!dir || !process.send) {
  process.stderr.write('cluster-guard: started without a directory or an IPC channel\n');
  process.exit(2);
}
// Signals meant for `up` (a terminal's Ctrl-C, a service manager's SIGTERM) are not ours:
// the cluster must outlive `up` until `up` has drained the nodes that use it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
process.once('disconnect', () => {
  stopRedisCluster(dir, { graceMs: STOP_GRACE_MS }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`cluster-guard: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
});
process.send('armed');
