/** Merges every stage's activities into the one object a worker registers. */
import { createProbeActivities, type ProbeActivities } from './probe';

export type Activities = ProbeActivities;

export function createActivities(): Activities {
  return { ...createProbeActivities() };
}
