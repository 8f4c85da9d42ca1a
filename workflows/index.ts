// The only workflowsPath: every workflow the worker runs is exported here.
export { ingestBronze } from './ingestBronze';
export { stackProbe } from './stackProbe';
