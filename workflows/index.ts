// The only workflowsPath: every workflow the worker runs is exported here.
export { stackProbe } from './stackProbe';
