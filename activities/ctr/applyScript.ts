/** The atomic apply of a partition batch in Redis (core/ctrScript.ts), run by its SHA. */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { CtrScriptCall } from '../../core/ctr';
import { CTR_APPLY_SCRIPT } from '../../core/ctrScript';
import { errorMessage } from '../../core/errors';

const APPLY_SHA = createHash('sha1').update(CTR_APPLY_SCRIPT).digest('hex');

/** Runs the apply script by its SHA, loading it on NOSCRIPT (first use, or after a Redis restart). */
export async function runApplyScript(redis: Redis, call: CtrScriptCall): Promise<unknown> {
  const args: Array<string | number> = [APPLY_SHA, 1, call.keys[0], ...call.args];
  try {
    return await redis.call('evalsha', args);
  } catch (err) {
    if (!errorMessage(err).startsWith('NOSCRIPT')) throw err;
    args[0] = CTR_APPLY_SCRIPT;
    return redis.call('eval', args);
  }
}
