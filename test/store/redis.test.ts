import { storeConformance } from './conformance.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

storeConformance('redis', async () => {
  const redis: TestRedis = await startTestRedis();
  return {
    config: { driver: 'redis', url: redis.url },
    // A crashed Redis: connections refused until it is back on the same port and data.
    outage: {
      begin: () => redis.server.stop(5_000),
      end: () => redis.restart(),
    },
    teardown: () => redis.stop(),
  };
});
