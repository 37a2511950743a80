/**
 * One load-generating process: opens the store given by --config (JSON StoreConfig),
 * says `ready`, then runs each cell run.ts asks for and sends back its raw histogram.
 * Started by run.ts as `node --import tsx bench/store/worker.ts --config JSON`.
 */
import { parseArgs } from 'node:util';
import { openStore, type StoreConfig } from '../../src/store/open-store.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { runLoad } from './workload.js';

const { values } = parseArgs({ options: { config: { type: 'string' } } });
if (!values.config || !process.send) {
  console.error('worker.ts is started by bench/store/run.ts (needs --config and an IPC channel)');
  process.exit(2);
}
const send = (msg: FromWorker) => process.send?.(msg);
// If run.ts dies, its IPC channel closes: never outlive it.
process.on('disconnect', () => process.exit(0));

try {
  const store = await openStore(JSON.parse(values.config) as StoreConfig);
  process.on('message', (raw) => {
    const msg = raw as ToWorker;
    if (msg.type === 'exit') {
      void store.close().finally(() => process.exit(0));
      return;
    }
    runLoad(store, msg.op, msg).then(
      (result) => send({ type: 'result', op: msg.op, result }),
      (err: unknown) => send({ type: 'error', message: String(err) }),
    );
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'error', message: `cannot open the store: ${String(err)}` });
}
