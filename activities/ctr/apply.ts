/**
 * Apply step of the CTR consumer: the records of one partition batch are counted in Redis by the
 * atomic script, re-planned after an overlap, or re-read after a hole.
 */
import { ctrScriptCall, offsetKey, parseApplyReply, planCtrApply, type CtrRecord } from '../../core/ctr';
import { runApplyScript } from './applyScript';
import { refreshFloors, seek } from './offsets';
import type { CtrRun } from './run';

/** Applies the records of one partition batch; returns when they are applied or known to be. */
export async function applyRecords(run: CtrRun, partition: number, records: readonly CtrRecord[]): Promise<void> {
  const { settings, progress } = run;
  const prefix = settings.keyPrefix;
  let after: number | undefined;
  for (;;) {
    const plan = planCtrApply(records, { prefix, nowMs: Date.now(), retentionMs: settings.retentionMs, afterOffset: after });
    if (plan === undefined) return;
    const call = ctrScriptCall(plan, { offsetKey: offsetKey(prefix, settings.topic, partition), dedupSeconds: settings.dedupSeconds, floor: run.floors.get(partition) ?? 0 });
    const outcome = parseApplyReply(await runApplyScript(run.redis, call));
    if (outcome.kind === 'applied') {
      run.applied.set(partition, plan.lastOffset);
      progress.counted += outcome.counted;
      progress.duplicates += outcome.duplicates;
      progress.expired += plan.expired;
      progress.offsets[String(partition)] = plan.lastOffset;
      return;
    }
    run.applied.set(partition, outcome.stored);
    if (outcome.kind === 'overlap') {
      if (outcome.stored > plan.lastOffset) seek(run, partition, outcome.stored + 1); // far behind: skip ahead
      after = outcome.stored;
      continue;
    }
    await refreshFloors(run);
    const low = run.floors.get(partition) ?? 0;
    if (plan.firstOffset <= low) {
      run.log('ctr consumer: records before the batch are gone from Kafka; resuming at the earliest', { partition, stored: outcome.stored, low });
      continue;
    }
    run.log('ctr consumer: batch starts after a hole; reading again from the stored offset', { partition, stored: outcome.stored, first: plan.firstOffset });
    seek(run, partition, Math.max(outcome.stored + 1, low));
    return;
  }
}
