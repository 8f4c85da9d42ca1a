import { createRedis } from '../../activities/clients';
import { redisServer } from '../support/redis';
import { stackConfig, uniqueName } from '../support/stack';

describe('Redis', () => {
  const config = stackConfig();
  const redis = createRedis(config.redis);
  const server = redisServer(config);
  const key = uniqueName('test:redis');

  afterAll(async () => {
    await server.ensureUp();
    await redis.del(key, `${key}:n`);
    redis.disconnect();
  });

  it('sets and gets a value, and counts atomically', async () => {
    expect(await redis.set(key, 'v1', 'EX', 60)).toBe('OK');
    expect(await redis.get(key)).toBe('v1');
    const counts = await Promise.all(Array.from({ length: 50 }, () => redis.incr(`${key}:n`)));
    expect(new Set(counts).size).toBe(50);
    expect(await redis.get(`${key}:n`)).toBe('50');
  });

  it('runs with the append-only file on, so counts survive a restart', async () => {
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    const before = await redis.incrby(`${key}:n`, 7);
    try {
      expect(await server.stop()).toBe(true);
    } finally {
      await server.ensureUp();
    }
    // A fresh server process (uptime reset) read the count back from its append-only file.
    expect(Number(/uptime_in_seconds:(\d+)/.exec(await redis.info('server'))?.[1])).toBeLessThan(30);
    expect(await redis.get(`${key}:n`)).toBe(String(before));
  }, 60_000);
});
