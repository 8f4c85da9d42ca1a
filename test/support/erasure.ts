/**
 * What the erasure test reads of the real stack on its own, without the code under test deciding it:
 * the CLI as a user runs it (one JSON document on stdout), every Bronze record an hour's index names
 * (objects decompressed and parsed here, line by line), the version folders of a partition and the
 * user keys their Parquet files hold, the decoded payloads of a Temporal history, and the service logs.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { decompress as zstdDecompress } from '@mongodb-js/zstd';
import type { temporal } from '@temporalio/proto';
import { readParquetRows } from '../../activities/parquet';
import { getBytes } from '../../activities/s3Objects';
import { hourIndexPrefix, manifestKeyOfHourIndex } from '../../core/bronze';
import { partitionPrefix, type PartitionValues, type TableDef } from '../../core/lakeTables';

const REPO = path.join(__dirname, '..', '..');
const CLI = path.join(REPO, 'bin', 'clicklake.js');

export interface CliRun {
  readonly code: number;
  readonly value: unknown;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A running `clicklake ... --json`; `done` settles when it exits, whatever its exit code. */
export function startCli(args: readonly string[], timeoutMs = 900_000): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  let child: ChildProcess | undefined;
  const done = new Promise<CliRun>((resolve) => {
    child = execFile(process.execPath, [CLI, ...args, '--json'], { cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      let value: unknown;
      try {
        value = JSON.parse(stdout);
      } catch {
        value = undefined;
      }
      resolve({ code, value, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child: child as unknown as ChildProcess, done };
}

/** Runs `clicklake ... --json` and returns its document; throws with its stderr when it does not exit 0. */
export async function cli<T = Record<string, unknown>>(args: readonly string[], timeoutMs?: number): Promise<T> {
  const run = await startCli(args, timeoutMs).done;
  if (run.code !== 0 || run.value === undefined) {
    throw new Error(`clicklake ${args.join(' ')} --json: exit ${run.code} after ${run.ms} ms\nstdout: ${run.stdout.slice(0, 4000)}\nstderr: ${run.stderr.slice(-4000)}`);
  }
  return run.value as T;
}

async function listAll(s3: S3Client, bucket: string, prefix: string, delimiter?: string): Promise<{ keys: string[]; prefixes: string[] }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    for (const p of out.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
    token = out.NextContinuationToken;
  } while (token);
  return { keys, prefixes };
}

/** One line of a Bronze object, as JSON: the envelope and the event as stored. */
export interface StoredLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly received_time: number;
  readonly event: Record<string, unknown>;
}

export interface StoredObject {
  readonly manifestKey: string;
  /** The manifest as stored (JSON), unparsed by the code under test. */
  readonly manifest: {
    readonly objectKey: string;
    readonly rowCount: number;
    readonly hourHistogram: Record<string, number>;
    readonly erasedHistogram?: Record<string, number>;
    readonly [field: string]: unknown;
  };
  /** undefined: the object the manifest names is not there. */
  readonly lines: StoredLine[] | undefined;
}

async function decodeObject(key: string, bytes: Buffer): Promise<StoredLine[]> {
  const text = (key.endsWith('.gz') ? gunzipSync(bytes) : await zstdDecompress(bytes)).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredLine);
}

/**
 * Every Bronze object the hour indexes of `hours` name (each once, however many of the hours it
 * holds): the manifest the marker leads to, and the object's lines, read and decompressed here.
 */
export async function scanBronze(s3: S3Client, bucket: string, hours: readonly string[]): Promise<StoredObject[]> {
  const manifestKeys = new Set<string>();
  for (const hour of hours) for (const key of (await listAll(s3, bucket, hourIndexPrefix(hour))).keys) manifestKeys.add(manifestKeyOfHourIndex(key));
  const objects: StoredObject[] = [];
  for (const manifestKey of [...manifestKeys].sort()) {
    const text = await getBytes(s3, bucket, manifestKey);
    if (text === undefined) throw new Error(`the hour index names ${manifestKey}, which is not there`);
    const manifest = JSON.parse(text.toString('utf8')) as StoredObject['manifest'];
    const bytes = await getBytes(s3, bucket, manifest.objectKey);
    objects.push({ manifestKey, manifest, lines: bytes === undefined ? undefined : await decodeObject(manifest.objectKey, bytes) });
  }
  return objects;
}

/** Every object key under a prefix (e.g. a test topic's Bronze objects). */
export async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listAll(s3, bucket, prefix)).keys;
}

/** The `v=<version>` folders under a partition's prefix, sorted. */
export async function versionFolders(s3: S3Client, bucket: string, def: TableDef, values: PartitionValues): Promise<string[]> {
  const prefix = partitionPrefix(def, values);
  const { prefixes } = await listAll(s3, bucket, prefix, '/');
  return prefixes
    .filter((p) => p.startsWith(`${prefix}v=`))
    .map((p) => p.slice(prefix.length + 2, -1))
    .sort();
}

/**
 * The user keys each version folder of a Silver-like partition (a table with a user_key column)
 * holds: every Parquet file under the folder downloaded and read, published or not.
 */
export async function userKeysByVersion(s3: S3Client, bucket: string, def: TableDef, values: PartitionValues): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clicklake-erasure-test-'));
  try {
    for (const version of await versionFolders(s3, bucket, def, values)) {
      const keys = new Set<string>();
      for (const key of (await listAll(s3, bucket, partitionPrefix(def, values, version))).keys) {
        if (!key.endsWith('.parquet')) continue;
        const bytes = await getBytes(s3, bucket, key);
        if (bytes === undefined) continue;
        const file = path.join(dir, `${Object.keys(out).length}-${path.basename(key)}`);
        fs.writeFileSync(file, bytes);
        for (const row of await readParquetRows(def, file)) keys.add(String((row as Record<string, unknown>).user_key));
      }
      out[version] = [...keys].sort();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * Every string of a Temporal history and every byte field decoded as UTF-8 (payload data is JSON
 * bytes), newline-joined: what someone reading the history in the Web UI or `temporal workflow show`
 * could see.
 */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') parts.push(value);
    else if (value instanceof Uint8Array) {
      const text = Buffer.from(value).toString('utf8');
      parts.push(text);
      // A payload whose data is itself base64 text (a nested encoding) is read once more.
      if (/^[A-Za-z0-9+/=]{16,}$/.test(text)) parts.push(Buffer.from(text, 'base64').toString('utf8'));
    } else if (typeof value === 'object') {
      if (seen.has(value)) return;
      seen.add(value);
      if (Array.isArray(value)) value.forEach(walk);
      else for (const v of Object.values(value as Record<string, unknown>)) walk(v);
    }
  };
  walk(history);
  return parts.join('\n');
}

/** The ids of the child workflows a history started. */
export function childWorkflows(history: temporal.api.history.v1.IHistory): Array<{ workflowId: string; runId: string }> {
  return (history.events ?? []).flatMap((event) => {
    const started = event.childWorkflowExecutionStartedEventAttributes;
    const execution = started?.workflowExecution;
    return execution?.workflowId && execution.runId ? [{ workflowId: execution.workflowId, runId: execution.runId }] : [];
  });
}

/** Every file under a folder (the stack's service logs), with the names of those holding any of `needles`. */
export function filesContaining(dir: string, needles: readonly string[]): { files: string[]; hits: Array<{ file: string; needle: string }> } {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) files.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  const hits: Array<{ file: string; needle: string }> = [];
  for (const file of files) {
    const text = fs.readFileSync(file).toString('latin1');
    for (const needle of needles) if (text.includes(needle)) hits.push({ file, needle });
  }
  return { files, hits };
}
