/**
 * onShutdown with a stand-in for `process` (an emitter with `connected` and a recorded
 * `exit`): which causes start the stop, and what each `again` choice does with the
 * signals that follow. Sends no real signal and starts no process.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { onShutdown, type StopCause } from '../../src/core/shutdown.js';

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  constructor(readonly connected = false) {
    super();
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  listening(): number {
    return this.listenerCount('SIGTERM') + this.listenerCount('SIGINT') + this.listenerCount('disconnect');
  }
}

/** A stop that records its causes and ends when told. */
function controlledStop(outcome: 'resolve' | 'reject' = 'resolve') {
  const causes: StopCause[] = [];
  let end: () => void = () => undefined;
  const stop = (cause: StopCause) => {
    causes.push(cause);
    return new Promise<void>((resolve, reject) => {
      end = outcome === 'resolve' ? resolve : () => reject(new Error('stop failed'));
    });
  };
  return { stop, causes, end: () => end() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('onShutdown', () => {
  it('starts the stop at the first SIGTERM or SIGINT, with that signal, and done resolves when it ends', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const proc = new FakeProcess();
      const s = controlledStop();
      let done = false;
      void onShutdown(s.stop, { process: proc }).done.then(() => {
        done = true;
      });
      proc.emit(signal);
      assert.deepEqual(s.causes, [signal]);
      await tick();
      assert.equal(done, false, 'done before the stop ended');
      s.end();
      await tick();
      assert.equal(done, true);
    }
  });

  it('done resolves also when the stop fails: nothing is left but to exit', async () => {
    const proc = new FakeProcess();
    const s = controlledStop('reject');
    const shutdown = onShutdown(s.stop, { process: proc });
    proc.emit('SIGINT');
    s.end();
    await shutdown.done;
  });

  it('listens for the loss of the IPC channel only when asked and when the process has one', () => {
    const connected = new FakeProcess(true);
    onShutdown(controlledStop().stop, { process: connected, onDisconnect: true });
    assert.equal(connected.listenerCount('disconnect'), 1);
    const unconnected = new FakeProcess(false);
    onShutdown(controlledStop().stop, { process: unconnected, onDisconnect: true });
    assert.equal(unconnected.listenerCount('disconnect'), 0);
    const notAsked = new FakeProcess(true);
    onShutdown(controlledStop().stop, { process: notAsked });
    assert.equal(notAsked.listenerCount('disconnect'), 0);
  });

  it('a disconnect starts the stop like a signal', () => {
    const proc = new FakeProcess(true);
    const s = controlledStop();
    onShutdown(s.stop, { process: proc, onDisconnect: true });
    proc.emit('disconnect');
    assert.deepEqual(s.causes, ['disconnect']);
  });

  it("again 'default' removes every listener at the first cause, so the next signal gets Node's default action", () => {
    const proc = new FakeProcess(true);
    const s = controlledStop();
    onShutdown(s.stop, { process: proc, onDisconnect: true });
    assert.equal(proc.listening(), 3);
    proc.emit('SIGINT');
    assert.equal(proc.listening(), 0);
    assert.deepEqual(s.causes, ['SIGINT']);
  });

  it("again 'same-default' hears each cause once: the same signal again finds no listener, another joins the stop", () => {
    const proc = new FakeProcess(true);
    const s = controlledStop();
    onShutdown(s.stop, { process: proc, onDisconnect: true, again: 'same-default' });
    proc.emit('SIGINT');
    assert.equal(proc.listenerCount('SIGINT'), 0, 'a second Ctrl-C takes the default action');
    assert.equal(proc.listenerCount('SIGTERM'), 1);
    proc.emit('SIGTERM');
    proc.emit('disconnect');
    assert.deepEqual(s.causes, ['SIGINT'], 'the stop runs once');
    assert.deepEqual(proc.exits, []);
    assert.equal(proc.listening(), 0);
  });

  it('again { force, exitCode } forces and exits with the code at every later signal, the first stop left running', () => {
    const proc = new FakeProcess();
    const s = controlledStop();
    const forced: StopCause[] = [];
    onShutdown(s.stop, { process: proc, again: { force: (cause) => forced.push(cause), exitCode: 130 } });
    proc.emit('SIGTERM');
    assert.deepEqual(proc.exits, []);
    proc.emit('SIGINT');
    assert.deepEqual(forced, ['SIGINT']);
    assert.deepEqual(proc.exits, [130]);
    assert.deepEqual(s.causes, ['SIGTERM']);
    assert.equal(proc.listening(), 2, 'still listening: the fake exit did not end the process');
  });

  it('dispose removes every listener, before or after the first cause', () => {
    for (const again of ['default', 'same-default', { force: () => undefined, exitCode: 130 }] as const) {
      const before = new FakeProcess(true);
      onShutdown(controlledStop().stop, { process: before, onDisconnect: true, again }).dispose();
      assert.equal(before.listening(), 0, JSON.stringify(again));
      const after = new FakeProcess(true);
      const shutdown = onShutdown(controlledStop().stop, { process: after, onDisconnect: true, again });
      after.emit('SIGTERM');
      shutdown.dispose();
      assert.equal(after.listening(), 0, JSON.stringify(again));
    }
  });
});
