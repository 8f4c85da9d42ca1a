/** Redis from Debian's redis-server, append-only file on, bound to loopback. */
import * as fs from 'node:fs';
import { createRedis } from '../../activities/clients';
import { errorMessage } from '../../core/errors';
import { startDaemon } from '../process';
import { ensureDebianPackage } from '../tools';
import type { LocalService } from './types';

export const redis: LocalService = {
  name: 'redis',
  dependsOn: [],
  startTimeoutMs: 20_000,

  async install(ctx) {
    await ensureDebianPackage('redis-server', 'redis-server', ctx.layout.installLog);
  },

  async start(ctx) {
    const r = ctx.config.redis;
    const dataDir = ctx.layout.dataDir('redis');
    fs.mkdirSync(dataDir, { recursive: true });
    startDaemon({
      name: 'redis',
      command: await ensureDebianPackage('redis-server', 'redis-server', ctx.layout.installLog),
      args: [
        '--port', String(r.port),
        '--bind', r.host,
        '--dir', dataDir,
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        '--daemonize', 'no',
        '--save', '',
        '--logfile', '',
      ],
      cwd: dataDir,
      logFile: ctx.layout.logFile('redis'),
      pidFile: ctx.layout.pidFile('redis'),
    });
  },

  async probe(ctx) {
    const client = createRedis(ctx.config.redis, { lazy: true, failFast: true });
    // The same failure also rejects connect() or ping() below and becomes the probe's result.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const pong = await client.ping();
      return { healthy: pong === 'PONG', detail: `PING answered ${pong}` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    } finally {
      client.disconnect();
    }
  },

  endpoints: (config) => ({ url: config.redis.url }),
};
