// A deliberately broken promoteHour for the negative replay case: it builds the hour before waiting
// for Bronze, so replaying a real history must fail with a determinism error.
import { proxyActivities } from '@temporalio/workflow';
import type { BronzeActivities } from '../../../activities/bronze';
import type { HourResult, PromoteActivities } from '../../../activities/promote';

const bronze = proxyActivities<BronzeActivities>({ startToCloseTimeout: '1 minute' });
const promote = proxyActivities<PromoteActivities>({ startToCloseTimeout: '1 minute' });

export async function promoteHour(input: { hour: string }): Promise<HourResult> {
  const result = await promote.buildHour({ hour: input.hour, workflowId: 'x', runId: 'x', version: 'x' });
  await bronze.captureEndOffsets();
  return result;
}
