/**
 * Single `miniscale node` and `miniscale gateway` processes, for topologies `up` cannot
 * make (a node inside a network namespace). Optionally run under a wrapper command
 * (`ip netns exec NAME`, which execs, so the PID is the node's own). The PID is taken
 * from the process's own "listening" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../support/processes.js';
import { isRunning } from '../../support/up.js';

export interface Started {
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

const started = new Set<Started>();
process.on('exit', () => {
  for (const s of started) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export async function startMiniscale(args: string[], env: NodeJS.ProcessEnv, wrapper: string[] = []): Promise<Started> {
  const cmd = [...wrapper, process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts'), ...args];
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start in 30 s: ${lines.slice(-10).join('\n')}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"event":"listening"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; pid: number });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited: ${lines.slice(-10).join('\n')}`));
    });
  });
  const handle: Started = {
    ...listening,
    child,
    stop: async () => {
      if (isRunning(listening.pid)) process.kill(listening.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(listening.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
      started.delete(handle);
    },
  };
  started.add(handle);
  return handle;
}
