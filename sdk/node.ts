/**
 * Node extras of the SDK: gzip through zlib, and a queue store in a file so events waiting when the
 * process stops are sent by the next one. Not for browsers (node: modules); sdk/index.ts stays free of them.
 *
 * The file is a log of JSON lines, appended as the queue changes: `{"add":[{seq, event}, ...]}` and
 * `{"remove":[seq, ...]}`. Loading replays it (a torn last line, from a crash mid-write, is skipped)
 * and rewrites it compacted; it is compacted again whenever it holds many more lines than events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { createClient, type Client, type ClientOptions } from './client';
import type { QueueStore } from './queue';
import type { BodyEncoder } from './transport';
import type { QueuedEvent } from './types';

const gzipAsync = promisify(gzip);

/** gzip through zlib (faster than CompressionStream in Node, and level 6 like it). */
export const nodeGzip: BodyEncoder = async (json) => ({ body: new Uint8Array(await gzipAsync(json)), encoding: 'gzip' });

/** Rewrites the log as one `add` line once it holds more than this many lines beyond its events. */
const COMPACT_AFTER_LINES = 1000;

type LogLine = { add: QueuedEvent[] } | { remove: number[] };

function replay(text: string): Map<number, QueuedEvent> {
  const events = new Map<number, QueuedEvent>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch {
      continue; // a line torn by a crash mid-append: what it held was never acknowledged as stored
    }
    if ('add' in entry && Array.isArray(entry.add)) {
      for (const e of entry.add) if (typeof e?.seq === 'number' && typeof e.event?.event_id === 'string') events.set(e.seq, e);
    } else if ('remove' in entry && Array.isArray(entry.remove)) {
      for (const seq of entry.remove) events.delete(seq);
    }
  }
  return events;
}

/** A queue store in `file` (its directory is created). One client per file at a time. */
export function fileQueueStore(file: string): QueueStore {
  let live = new Map<number, QueuedEvent>();
  let lines = 0;

  const rewrite = async (): Promise<void> => {
    const tmp = `${file}.${process.pid}.tmp`;
    const events = [...live.values()].sort((a, b) => a.seq - b.seq);
    await fs.promises.writeFile(tmp, events.length === 0 ? '' : `${JSON.stringify({ add: events })}\n`);
    await fs.promises.rename(tmp, file);
    lines = events.length === 0 ? 0 : 1;
  };

  const appendLine = async (entry: LogLine): Promise<void> => {
    await fs.promises.appendFile(file, `${JSON.stringify(entry)}\n`);
    lines++;
    if (lines > live.size + COMPACT_AFTER_LINES) await rewrite();
  };

  return {
    async load() {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const text = await fs.promises.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      });
      live = replay(text);
      await rewrite();
      return [...live.values()].sort((a, b) => a.seq - b.seq);
    },
    async append(events) {
      for (const e of events) live.set(e.seq, e);
      await appendLine({ add: [...events] });
    },
    async remove(seqs) {
      for (const seq of seqs) live.delete(seq);
      await appendLine({ remove: [...seqs] });
    },
  };
}

export interface NodeClientOptions extends ClientOptions {
  /** Keep the queue in this file (survives a restart); default memory only. */
  readonly queueFile?: string;
}

/** A client with zlib gzip and, given `queueFile`, a queue that survives a process restart. */
export function createNodeClient(options: NodeClientOptions): Client {
  return createClient({
    encode: nodeGzip,
    ...options,
    ...(options.queueFile === undefined || options.store !== undefined ? {} : { store: fileQueueStore(options.queueFile) }),
  });
}
