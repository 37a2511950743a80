// Test helper: takes the LMDB writer lock of the directory in argv[2], says so, and
// stops itself inside the transaction, as a hung or SIGSTOPped node process would.
import { open } from 'lmdb';

const root = open({ path: process.argv[2], maxDbs: 16, overlappingSync: false, mapSize: 64 * 1024 ** 3 });
root.transactionSync(() => {
  root.putSync('__held__', Date.now());
  process.stdout.write('holding\n');
  process.kill(process.pid, 'SIGSTOP');
});
