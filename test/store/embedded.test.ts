import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeConformance } from './conformance.js';
import { REPO_ROOT } from '../support/processes.js';

storeConformance('embedded', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'miniscale-embedded-'));
  let holder: ChildProcess | undefined;
  return {
    config: { driver: 'embedded', dir, sweepIntervalMs: 200 },
    // The embedded store's "outage": another process takes LMDB's writer lock and
    // freezes (SIGSTOP) inside its transaction. Writers must time out, not hang; once
    // that process is killed, LMDB's robust mutex hands the lock back.
    outage: {
      begin: () =>
        new Promise<void>((resolve, reject) => {
          holder = spawn(process.execPath, [path.join(REPO_ROOT, 'test/store/hold-write-lock.mjs'), dir], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          holder.stdout!.once('data', () => resolve());
          holder.once('error', reject);
        }),
      end: async () => {
        holder?.kill('SIGKILL');
        await new Promise((r) => holder?.once('exit', r));
      },
    },
    teardown: async () => {
      holder?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
