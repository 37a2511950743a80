/**
 * How a foreground command (`up`, `gateway`, `node`, `wechat-emulator`) stops: the first
 * SIGTERM or SIGINT (or, when asked, the loss of the parent's IPC channel) starts a
 * graceful `stop`; what a later one does is the command's choice (`Again`). Takes the
 * process as a parameter so the logic can be tested with a plain emitter.
 */

/** What started the stop: a signal, or the parent's IPC channel closing. */
export type StopCause = 'SIGTERM' | 'SIGINT' | 'disconnect';

/** The part of `process` this uses. */
export interface ProcessLike {
  on(event: StopCause, listener: () => void): unknown;
  once(event: StopCause, listener: () => void): unknown;
  off(event: StopCause, listener: () => void): unknown;
  readonly connected?: boolean;
  exit(code: number): void;
}

/**
 * A signal (or disconnect) that comes once the stop has begun:
 * - `'default'`: every listener is gone, so Node's default action ends the process (it
 *   dies of the signal).
 * - `'same-default'`: each cause is heard once. The same signal again takes Node's
 *   default action; another one joins the stop under way. A terminal's Ctrl-C reaches
 *   the whole process group, so a node worker hears SIGINT and then its supervisor's
 *   SIGTERM: the second must not cut the drain the first began.
 * - `{ force, exitCode }`: `force` runs, then the process exits with `exitCode`.
 */
export type Again = 'default' | 'same-default' | { force(cause: StopCause): void; exitCode: number };

export interface ShutdownOptions {
  /** Also stop when the parent's IPC channel closes (a supervisor that died, even by SIGKILL). Only if there is one now. */
  onDisconnect?: boolean;
  /** @default 'default' */
  again?: Again;
  /** @default process */
  process?: ProcessLike;
}

export interface Shutdown {
  /**
   * Resolves once `stop` has settled. A stop that failed still ends the wait: all the
   * command has left to do is exit, and the stop reports its own trouble.
   */
  readonly done: Promise<void>;
  /** Removes every listener (one on `disconnect` keeps the IPC channel, and so the process, alive). */
  dispose(): void;
}

export function onShutdown(stop: (cause: StopCause) => Promise<void>, options: ShutdownOptions = {}): Shutdown {
  const proc = options.process ?? process;
  const again = options.again ?? 'default';
  const causes: StopCause[] = ['SIGTERM', 'SIGINT'];
  if (options.onDisconnect && proc.connected) causes.push('disconnect');

  const listeners = new Map<StopCause, () => void>();
  const dispose = () => {
    for (const [cause, listener] of listeners) proc.off(cause, listener);
    listeners.clear();
  };
  let started = false;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const heard = (cause: StopCause) => {
    if (!started) {
      started = true;
      if (again === 'default') dispose();
      void stop(cause).then(finished, finished);
      return;
    }
    if (typeof again === 'object') {
      again.force(cause);
      proc.exit(again.exitCode);
    }
    // 'same-default': this cause's listener is gone now; the stop under way goes on.
  };
  for (const cause of causes) {
    const listener = () => heard(cause);
    listeners.set(cause, listener);
    if (again === 'same-default') proc.once(cause, listener);
    else proc.on(cause, listener);
  }
  return { done, dispose };
}
