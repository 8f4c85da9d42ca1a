/**
 * Local credentials (S3 root keys, collector API key, PII HMAC key), generated once per state folder
 * with a CSPRNG and kept in `<state>/secrets.json` (mode 0600). Environment variables override them.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalSecrets } from '../core/config';

function isSecrets(value: unknown): value is LocalSecrets {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['s3AccessKey', 's3SecretKey', 'apiKey', 'piiHmacKey'].every((k) => typeof v[k] === 'string' && (v[k] as string).length > 0);
}

export function readSecrets(file: string): LocalSecrets | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isSecrets(parsed)) throw new Error(`${file}: not a clicklake secrets file; delete it to generate new secrets`);
  return parsed;
}

export function ensureSecrets(file: string): LocalSecrets {
  const existing = readSecrets(file);
  if (existing) return existing;
  const secrets: LocalSecrets = {
    s3AccessKey: `clicklake-${randomBytes(6).toString('hex')}`,
    s3SecretKey: randomBytes(24).toString('base64url'),
    apiKey: `ck_local_${randomBytes(24).toString('base64url')}`,
    piiHmacKey: randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}
