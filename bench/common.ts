/** Shared pieces of the benchmarks: machine facts, process CPU and memory, percentiles, the result file. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from '../infra/repo';

export interface Figure {
  readonly value: number;
  readonly unit: string;
}

export interface BenchResult {
  readonly name: string;
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly memory: string; readonly cpu_model: string; readonly node: string };
  readonly figures: Record<string, Figure>;
  readonly notes?: readonly string[];
}

export function machine(): BenchResult['machine'] {
  return {
    cpus: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
}

/** utime + stime of a process in seconds, from /proc (Linux clock ticks are 100 Hz). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident memory (VmHWM) of a process in MiB. */
export function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function writeResult(result: Omit<BenchResult, 'date' | 'machine'>): string {
  const full: BenchResult = { name: result.name, date: new Date().toISOString(), machine: machine(), figures: result.figures, notes: result.notes };
  const file = repoPath('bench', 'results', `${result.name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(full, null, 2)}\n`);
  return file;
}
