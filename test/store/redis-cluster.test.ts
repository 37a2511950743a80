import { storeConformance } from './conformance.js';
import { startTestCluster, type TestCluster } from '../support/redis.js';

storeConformance('redis-cluster', async () => {
  const cluster: TestCluster = await startTestCluster();
  const pids = cluster.cluster.nodes.map((n) => n.pid);
  const signalAll = (sig: NodeJS.Signals) => {
    for (const pid of pids) process.kill(pid, sig);
  };
  return {
    config: { driver: 'redis-cluster', url: cluster.seedUrl },
    // Every node frozen (SIGSTOP): connections stay open but nothing answers — the
    // case only a per-call timeout catches. SIGCONT brings the same cluster back.
    outage: {
      begin: async () => signalAll('SIGSTOP'),
      end: async () => signalAll('SIGCONT'),
    },
    teardown: async () => {
      try {
        signalAll('SIGCONT');
      } catch {
        /* already gone */
      }
      await cluster.stop();
    },
  };
});
