import type { ClicklakeConfig } from '../../core/config';
import type { Layout, ServiceName } from '../layout';

export interface ServiceContext {
  readonly config: ClicklakeConfig;
  readonly layout: Layout;
  /** Progress for people: goes to stderr so `--json` output stays clean. */
  readonly progress: (message: string) => void;
}

export interface ProbeResult {
  readonly healthy: boolean;
  /** What the protocol call answered, or why it failed. */
  readonly detail: string;
}

/** One local service: how to install it (cached), start it as a daemon, and ask it a real protocol question. */
export interface LocalService {
  readonly name: ServiceName;
  /** Services that must answer before this one starts. */
  readonly dependsOn: readonly ServiceName[];
  /** How long a cold start may take before `up` gives up and shows the log. */
  readonly startTimeoutMs: number;
  /** Idempotent; returns at once when the cached install is complete. */
  install(ctx: ServiceContext): Promise<void>;
  /** Writes config files and spawns the daemon; the caller has checked it is not running. */
  start(ctx: ServiceContext): Promise<void>;
  probe(ctx: ServiceContext): Promise<ProbeResult>;
  /** True when the running process is older than its code (clicklake's own processes after a rebuild). */
  isStale?(ctx: ServiceContext): boolean;
  /** The endpoints `stack status` prints for this service. */
  endpoints(config: ClicklakeConfig): Record<string, string>;
}
