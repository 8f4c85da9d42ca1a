/**
 * A collector process of a test's own (the production entrypoint, dist/workers/collector.js) on a port
 * it chooses, against the shared Kafka: a test may kill it and start it again on the same port without
 * touching the stack's collector.
 */
import { spawn } from 'node:child_process';
import { repoPath } from '../../infra/repo';

export interface CollectorProcess {
  readonly url: string;
  readonly port: number;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts the collector on `port` and waits (up to 30 s) until /healthz answers. */
export async function startCollectorProcess(port: number, env: Record<string, string> = {}): Promise<CollectorProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--require', repoPath('bin', 'node-warnings.js'), repoPath('dist', 'workers', 'collector.js')], {
    env: { ...process.env, CLICKLAKE_COLLECTOR_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (up) return { url, port, kill };
    if (Date.now() > deadline || child.exitCode !== null) {
      await kill();
      throw new Error(`test collector on port ${port} did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
