/** The stack's real Redis server, stopped and started again the way `stack down`/`stack up` do. */
import type { ClicklakeConfig } from '../../core/config';
import { layoutOf } from '../../infra/layout';
import { stopDaemon } from '../../infra/process';
import { redis as redisService } from '../../infra/services/redis';
import { waitFor } from './ctr';

export interface RedisServer {
  /** SIGTERM: Redis writes out its append-only file and exits; true once it has. */
  stop(): Promise<boolean>;
  /** Starts Redis again if it is not answering, and waits until it does. */
  ensureUp(): Promise<void>;
}

export function redisServer(config: ClicklakeConfig): RedisServer {
  const service = { config, layout: layoutOf(config.paths), progress: () => undefined };
  return {
    stop: () => stopDaemon(service.layout.pidFile('redis'), 30_000),
    async ensureUp() {
      if ((await redisService.probe(service)).healthy) return;
      await redisService.start(service);
      await waitFor('Redis to answer', async () => (await redisService.probe(service)).healthy, 20_000);
    },
  };
}
