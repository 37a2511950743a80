/** The SDK's request queue (sdk/src/queue.ts): a limit on running tasks, the rest in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestQueue } from '../../sdk/src/queue.js';

describe('RequestQueue', () => {
  it('runs at most `limit` tasks at once and starts the others in the order they came, also after failures', async () => {
    const queue = new RequestQueue(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        queue.run(async () => {
          started.push(i);
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
          running--;
          if (i % 4 === 0) throw new Error(`task ${i}`);
          return i;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.deepEqual(
      started,
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.equal(results.filter((r) => r.status === 'rejected').length, 8);
  });
});
