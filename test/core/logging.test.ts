import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { lazyRequestLogger } from '../../src/core/logging.js';

/** A pino logger writing JSON lines into an array, with a fixed time so lines compare. */
function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = pino({ level, base: { component: 'node' }, timestamp: () => ',"time":1' }, stream);
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof logger.child;
  return { logger, lines, children: () => children };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('lazy request logger', () => {
  it('writes the same lines as a pino child with the request id', async () => {
    const lazy = capture('debug');
    const eager = capture('debug');
    const a = lazyRequestLogger(lazy.logger, { reqId: 'r-1' }, {});
    const b = eager.logger.child({ reqId: 'r-1' }, {});
    for (const log of [a, b]) {
      log.debug({ status: 200 }, 'request');
      log.error({ err: new Error('boom') }, 'request failed');
      log.info('plain');
      log.child({ extra: 1 }).warn('nested');
    }
    await flush();
    assert.equal(lazy.lines.length, 4);
    assert.deepEqual(
      lazy.lines.map(({ err: _err, ...rest }) => rest),
      eager.lines.map(({ err: _err, ...rest }) => rest),
    );
    assert.equal((lazy.lines[1]!.err as { message: string }).message, 'boom');
    assert.equal(lazy.lines[0]!.reqId, 'r-1');
  });

  it('makes no pino child while the request logs nothing its level lets through', async () => {
    const { logger, lines, children } = capture('info');
    const log = lazyRequestLogger(logger, { reqId: 'r-2' }, {});
    log.debug('hidden');
    log.trace('hidden');
    assert.equal(log.level, 'info');
    assert.equal(log.isLevelEnabled('debug'), false);
    assert.equal(children(), 0);
    log.warn('shown');
    await flush();
    assert.equal(children(), 1);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.reqId]),
      [['shown', 'r-2']],
    );
  });

  it('a route with its own level gets an ordinary child at that level', async () => {
    const { logger, lines } = capture('info');
    const log = lazyRequestLogger(logger, { reqId: 'r-3' }, { level: 'debug' });
    log.debug('shown');
    await flush();
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['shown'],
    );
  });
});
