import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const cli = path.join(__dirname, '..', '..', 'bin', 'clicklake.js');

function clicklake(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function commandLine(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
}

describe('clicklake stack status --json', () => {
  const result = clicklake('stack', 'status', '--json');
  const status = JSON.parse(result.stdout) as {
    healthy: boolean;
    services: Record<string, { healthy: boolean; pid: number | null; detail: string } & Record<string, unknown>>;
  };

  it('prints exactly one JSON document reporting every service healthy', () => {
    expect(result.code).toBe(0);
    expect(status.healthy).toBe(true);
    expect(Object.keys(status.services).sort()).toEqual(['api', 'collector', 'kafka', 'presto', 'redis', 's3', 'schema_registry', 'temporal', 'worker']);
    for (const [name, s] of Object.entries(status.services)) expect([name, s.healthy]).toEqual([name, true]);
  });

  it('names every endpoint of the contract', () => {
    const s = status.services;
    expect(s.temporal).toEqual(expect.objectContaining({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), ui: expect.stringMatching(/^http:/) }));
    expect(s.kafka).toEqual(expect.objectContaining({ brokers: expect.any(String) }));
    expect(s.schema_registry).toEqual(expect.objectContaining({ url: expect.stringContaining('/apis/ccompat/v7') }));
    expect(s.s3).toEqual(expect.objectContaining({ endpoint: expect.any(String), bucket: 'clicklake' }));
    expect(s.presto).toEqual(expect.objectContaining({ url: expect.any(String) }));
    expect(s.redis).toEqual(expect.objectContaining({ url: expect.stringMatching(/^redis:\/\//) }));
    expect(s.collector).toEqual(expect.objectContaining({ url: expect.stringMatching(/^http:/), api_key: expect.stringMatching(/^ck_local_/) }));
    expect(s.api).toEqual(expect.objectContaining({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), admin_key: expect.stringMatching(/^ck_/) }));
  });

  it('is backed by the real server processes', () => {
    const expected: Record<string, RegExp> = {
      temporal: /temporal server start-dev .*--db-filename/,
      kafka: /java .*kafka\.Kafka /,
      schema_registry: /java .*quarkus-run\.jar/,
      s3: /minio server /,
      presto: /java .*io\.trino\.server\.TrinoServer/,
      redis: /redis-server /,
      collector: /node .*workers\/collector\.js/,
      worker: /node .*workers\/temporalWorker\.js/,
      api: /node .*workers\/api\.js/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const pid = status.services[name]?.pid;
      expect([name, typeof pid]).toEqual([name, 'number']);
      expect([name, commandLine(pid as number)]).toEqual([name, expect.stringMatching(pattern)]);
    }
  });
});

describe('clicklake CLI errors', () => {
  it('exits 2 (a usage error) with a one-line reason for an unknown command', () => {
    const r = clicklake('stack', 'sideways');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['clicklake: unknown command "stack sideways"; see `clicklake help`']);
  });
});
