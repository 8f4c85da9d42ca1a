/** The one place that reads `process.env` (and the generated local secrets) into the typed config. */
import * as os from 'node:os';
import { parseConfig, type ClicklakeConfig } from '../core/config';
import { layoutOf } from '../infra/layout';
import { readSecrets } from '../infra/secrets';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ClicklakeConfig {
  const withoutSecrets = parseConfig(env, os.homedir());
  const secrets = readSecrets(layoutOf(withoutSecrets.paths).secretsFile);
  return secrets ? parseConfig(env, os.homedir(), secrets) : withoutSecrets;
}
