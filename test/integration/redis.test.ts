import { createRedis } from '../../activities/clients';
import { stackConfig, uniqueName } from '../support/stack';

describe('Redis', () => {
  const redis = createRedis(stackConfig().redis);
  const key = uniqueName('test:redis');

  afterAll(async () => {
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
  });
});
