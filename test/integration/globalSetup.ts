/**
 * Integration tests run against the real local stack. `npm test` brings it up once before jest;
 * this check makes a direct `jest --selectProjects integration` do the same (fast when already up).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export default function globalSetup(): void {
  const cli = path.join(__dirname, '..', '..', 'bin', 'clicklake.js');
  const status = spawnSync(process.execPath, [cli, 'stack', 'status', '--json'], { encoding: 'utf8' });
  if (status.status === 0) return;
  const up = spawnSync(process.execPath, [cli, 'stack', 'up', '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (up.status !== 0) throw new Error('the local stack did not come up; see the messages above');
}
