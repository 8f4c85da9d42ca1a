// The only workflowsPath: every workflow the worker runs is exported here.
export { backfillRange } from './backfillRange';
export { compactDay } from './compactDay';
export { eraseUser } from './eraseUser';
export { ingestBronze } from './ingestBronze';
export { promoteDay } from './promoteDay';
export { promoteHour } from './promoteHour';
export { reconcileLate } from './reconcileLate';
export { runCtrConsumer } from './runCtrConsumer';
export { scheduledPromoteDay } from './scheduledPromoteDay';
export { scheduledPromoteHour } from './scheduledPromoteHour';
export { stackProbe } from './stackProbe';
