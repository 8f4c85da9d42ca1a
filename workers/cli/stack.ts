/** `clicklake stack up | down | status`: the local stack (README, The local stack). */
import type { ClicklakeConfig } from '../../core/config';
import type { StackStatus } from '../../infra/stack';
import { loadConfig } from '../config';
import { defineCommand, type Outcome } from './command';

/** Up and down per service, its endpoints, and its health detail. */
export function formatStackStatus(status: StackStatus): string {
  const rows = Object.entries(status.services).map(([name, s]) => {
    const endpoints = Object.entries(s)
      .filter(([k]) => !['healthy', 'detail', 'pid'].includes(k))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `${s.healthy ? 'UP  ' : 'DOWN'}  ${name.padEnd(16)} ${endpoints}\n      ${''.padEnd(16)} ${s.detail}`;
  });
  return `${rows.join('\n')}\n${status.healthy ? 'all services healthy' : 'some services are down'}\n`;
}

/** Installs (cached) and starts the stack, then bootstraps it and ensures the always-on workflows and schedules. */
export async function bringUp(progress: (message: string) => void): Promise<{ config: ClicklakeConfig; status: StackStatus }> {
  const [{ ensureSecrets }, { ensureAdminKey }, { layoutOf }, { stackUp }, { ensureLakeWorkflows }] = await Promise.all([
    import('../../infra/secrets'),
    import('../../infra/keyStore'),
    import('../../infra/layout'),
    import('../../infra/stack'),
    import('../schedules'),
  ]);
  // Secrets are generated before the first start; the config is read again to include them.
  ensureSecrets(layoutOf(loadConfig().paths).secretsFile);
  const config = loadConfig();
  // The local admin key exists before Trino starts, so its first rules name the admin.
  ensureAdminKey(config, Date.now());
  return { config, status: await stackUp(config, progress, [ensureLakeWorkflows]) };
}

function stackOutcome(status: StackStatus): Outcome {
  return { value: status, text: () => formatStackStatus(status), failure: status.healthy ? undefined : 'some services are down' };
}

export const stackUpCommand = defineCommand({
  name: 'stack up',
  summary: 'install (cached) and start the local stack, then bootstrap topics, bucket and schemas',
  options: {},
  async run(_options, _words, { progress }) {
    return stackOutcome((await bringUp(progress)).status);
  },
});

export const stackDownCommand = defineCommand({
  name: 'stack down',
  summary: 'stop every local service (data stays in the state folder)',
  options: {},
  async run(_options, _words, { progress }) {
    const { stackDown } = await import('../../infra/stack');
    await stackDown(loadConfig(), progress);
    return { value: { stopped: true }, text: () => '' };
  },
});

export const stackStatusCommand = defineCommand({
  name: 'stack status',
  summary: 'ask every service a real protocol question and print its endpoints and the local API key',
  options: {},
  async run() {
    const { stackStatus } = await import('../../infra/stack');
    return stackOutcome(await stackStatus(loadConfig()));
  },
});
