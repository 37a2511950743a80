/**
 * Running child processes from tests: every child is tracked by PID and killed in
 * `killAll` (call it from an `after` hook), so a failing test never leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const children = new Set<ChildProcess>();

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node --import tsx <script> ...args` from the repository root; with `ipc`, with
 * an IPC channel too, as a supervisor that forks it would.
 */
export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}, opts: { ipc?: boolean } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Collects a child's output and resolves when it exits (or rejects after `timeoutMs`, killing it). */
export function finished(child: ChildProcess, timeoutMs = 60_000): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${child.pid} still running after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function runTs(script: string, args: string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return finished(spawnTs(script, args, env), timeoutMs);
}

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/**
 * The `{"event":"listening",…}` line a `miniscale node` or `gateway` prints when ready,
 * parsed; rejects with the tail of its stderr if it exits first or takes over 20 s.
 */
export function listening<T>(child: ChildProcess, what: string, timeoutMs = 20_000): Promise<T> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  return new Promise<T>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as T);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${stderr}`));
    });
  });
}
