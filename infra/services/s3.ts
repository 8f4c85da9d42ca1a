/** MinIO, a real S3-compatible server, built from a pinned commit with `go install`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { createS3 } from '../../activities/clients';
import { errorMessage } from '../../core/errors';
import { goInstall, installOnce } from '../install';
import { startDaemon } from '../process';
import { VERSIONS } from '../versions';
import type { LocalService } from './types';

export const s3: LocalService = {
  name: 's3',
  dependsOn: [],
  startTimeoutMs: 60_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.minioBinDir, `MinIO ${VERSIONS.minio} (go install)`, (dir) =>
      goInstall(ctx, 'github.com/minio/minio', VERSIONS.minio, dir),
    );
  },

  async start(ctx) {
    const c = ctx.config.s3;
    const dataDir = path.join(ctx.layout.dataDir('s3'), 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    startDaemon({
      name: 's3',
      command: path.join(ctx.layout.minioBinDir, 'minio'),
      args: ['server', dataDir, '--address', `${c.host}:${c.port}`, '--console-address', `${c.host}:${c.consolePort}`, '--quiet'],
      cwd: ctx.layout.dataDir('s3'),
      env: {
        MINIO_ROOT_USER: c.accessKeyId,
        MINIO_ROOT_PASSWORD: c.secretAccessKey,
        MINIO_UPDATE: 'off',
        MINIO_BROWSER_REDIRECT: 'off',
      },
      logFile: ctx.layout.logFile('s3'),
      pidFile: ctx.layout.pidFile('s3'),
    });
  },

  async probe(ctx) {
    const client = createS3(ctx.config.s3);
    try {
      const out = await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(3000) });
      return { healthy: true, detail: `${out.Buckets?.length ?? 0} bucket(s)` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    } finally {
      client.destroy();
    }
  },

  endpoints: (config) => ({ endpoint: config.s3.endpoint, bucket: config.s3.bucket, console: `http://${config.s3.host}:${config.s3.consolePort}` }),
};
