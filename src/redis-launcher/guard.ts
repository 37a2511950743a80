/**
 * Stops a Redis Cluster that `miniscale up` launched, even when `up` is SIGKILLed.
 *
 * redis-server cannot notice its parent dying, so `up` hands the teardown to a small
 * guard process with an IPC channel to it: the channel closes when `up` exits for any
 * reason — a clean stop disconnects it on purpose, SIGKILL closes it in the kernel —
 * and the guard then stops exactly the PIDs in the cluster's manifest. One path for
 * both cases, so the clean stop exercises the code the crash relies on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { entryCommand } from '../core/cli-entry.js';

export interface ClusterGuard {
  readonly pid: number;
  /** Stops the cluster now and resolves when the guard has exited. */
  release(): Promise<void>;
}

export async function guardRedisCluster(dir: string): Promise<ClusterGuard> {
  const cmd = entryCommand('../redis-launcher/guard-main');
  const child: ChildProcess = spawn(cmd.file, [...cmd.args, dir], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Out of `up`'s process group: a terminal Ctrl-C must not reach it before `up` is done.
    detached: true,
  });
  const [message] = (await once(child, 'message')) as [unknown];
  if (message !== 'armed') throw new Error('the cluster guard did not start');
  const exited = once(child, 'exit').then(() => undefined);
  return {
    pid: child.pid!,
    release: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
