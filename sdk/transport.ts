/**
 * One POST /v1/events and the loop that repeats it (CONTRACT §2). Runs wherever `fetch` does (browsers,
 * Node 20+, workers): no Node module on this path. The body is encoded once, so every send of a batch
 * carries the very same bytes and event_ids.
 */
import { retryDelayMs, type RetryPolicy } from './retry';
import type { CollectorAnswer, SdkEvent } from './types';

/** Turns the JSON text of a body into what goes on the wire; `encoding` becomes Content-Encoding. */
export type BodyEncoder = (json: string) => Promise<{ readonly body: Uint8Array | string; readonly encoding?: 'gzip' }>;

export interface TransportOptions {
  /** The collector's base URL, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  readonly apiKey: string;
  /** How bodies are encoded (default: gzip through CompressionStream where it exists, else plain). */
  readonly encode?: BodyEncoder;
  /** Time one send may take before it counts as a network error (default 30 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /**
   * Ask the collector to shed low-priority events one by one (`Prefer: shed=per-event`) rather than
   * refuse the whole request under load; the answer's `shed` events must then be resent. Default off.
   */
  readonly perEventShedding?: boolean;
}

/** What one send came to. `retry`: 429, 5xx or a network error, worth sending again; `refused`: any other answer. */
export type SendOutcome =
  | { readonly kind: 'ok'; readonly answer: CollectorAnswer; readonly retryAfter: string | null }
  | { readonly kind: 'retry'; readonly cause: string; readonly retryAfter: string | null; readonly status?: number }
  | { readonly kind: 'refused'; readonly cause: string; readonly status: number; readonly error: string; readonly detail: string };

interface StreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
type CompressionStreamClass = new (format: 'gzip') => StreamPair;

/** gzip through the platform's CompressionStream (browsers, Node 18+), or undefined where it is missing. */
export function compressionStreamGzip(): BodyEncoder | undefined {
  const CS = (globalThis as { CompressionStream?: CompressionStreamClass }).CompressionStream;
  if (CS === undefined) return undefined;
  return async (json) => {
    const stream = new Blob([json]).stream().pipeThrough(new CS('gzip'));
    return { body: new Uint8Array(await new Response(stream).arrayBuffer()), encoding: 'gzip' };
  };
}

const plain: BodyEncoder = async (json) => ({ body: json });

/** The encoder `options.encode` names, or the platform's gzip, or plain JSON. */
export function encoderOf(options: Pick<TransportOptions, 'encode'>): BodyEncoder {
  return options.encode ?? compressionStreamGzip() ?? plain;
}

/** A prepared request: the body encoded once, sent as often as needed. */
export interface PreparedBatch {
  readonly body: Uint8Array | string;
  readonly headers: Readonly<Record<string, string>>;
}

export async function prepareBatch(options: TransportOptions, events: readonly SdkEvent[]): Promise<PreparedBatch> {
  const { body, encoding } = await encoderOf(options)(JSON.stringify({ events }));
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' };
  if (encoding !== undefined) headers['content-encoding'] = encoding;
  if (options.perEventShedding === true) headers.prefer = 'shed=per-event';
  return { body, headers };
}

/** What a failed fetch says: its cause's message (fetch wraps ECONNREFUSED and the like as "fetch failed"). */
function networkCause(err: unknown): string {
  const cause = typeof err === 'object' && err !== null && 'cause' in err && err.cause !== undefined ? err.cause : err;
  return typeof cause === 'object' && cause !== null && 'message' in cause && typeof cause.message === 'string' ? cause.message : String(cause);
}

/** The error body's fields (CONTRACT §2: `{"error", "detail"}`), or the text itself when it is not that. */
function errorFields(text: string): { error: string; detail: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const { error, detail } = parsed as { error?: unknown; detail?: unknown };
      return { error: typeof error === 'string' ? error : 'unknown', detail: typeof detail === 'string' ? detail : text.slice(0, 300) };
    }
  } catch {
    // not JSON: the text is the detail
  }
  return { error: 'unknown', detail: text.slice(0, 300) };
}

function isAnswer(value: unknown): value is CollectorAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { accepted, rejected } = value as { accepted?: unknown; rejected?: unknown };
  return typeof accepted === 'number' && Array.isArray(rejected);
}

/** Sends the prepared batch once and sorts the answer into ok, retry or refused. */
export async function sendOnce(options: TransportOptions, batch: PreparedBatch): Promise<SendOutcome> {
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  let text: string;
  try {
    res = await doFetch(`${options.url.replace(/\/+$/, '')}/v1/events`, {
      method: 'POST',
      headers: batch.headers,
      body: batch.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    text = await res.text();
  } catch (err) {
    return { kind: 'retry', cause: `network error: ${networkCause(err)}`, retryAfter: null };
  }
  if (res.status === 200) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // A 200 that is not the contract's answer came from something else (a proxy): worth another try.
    if (isAnswer(parsed)) return { kind: 'ok', answer: parsed, retryAfter: res.headers.get('retry-after') };
    return { kind: 'retry', cause: `collector answered 200 without an answer body: ${text.slice(0, 300)}`, retryAfter: null, status: 200 };
  }
  const cause = `collector answered ${res.status}: ${text.slice(0, 300)}`;
  if (res.status === 429 || res.status >= 500) return { kind: 'retry', cause, retryAfter: res.headers.get('retry-after'), status: res.status };
  return { kind: 'refused', cause, status: res.status, ...errorFields(text) };
}

/** Raised by sendWithRetry: `refused` at once on a 4xx other than 429, `exhausted` after the last attempt. */
export class SdkSendError extends Error {
  constructor(
    readonly kind: 'refused' | 'exhausted',
    message: string,
    /** The last send's outcome. */
    readonly last: Exclude<SendOutcome, { kind: 'ok' }>,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'SdkSendError';
  }
}

export interface SendRetry extends RetryPolicy {
  /** Sends of one batch at the most, the first included. */
  readonly attempts: number;
}

/**
 * Sends one batch until the collector answers 200, with the same body every time, at most
 * `retry.attempts` times, waiting Retry-After or the backoff in between. `onRetry` is called before
 * each send after the first.
 */
export async function sendWithRetry(
  options: TransportOptions,
  events: readonly SdkEvent[],
  retry: SendRetry,
  onRetry: () => void = () => undefined,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<CollectorAnswer> {
  const batch = await prepareBatch(options, events);
  let last: Exclude<SendOutcome, { kind: 'ok' }> | undefined;
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) onRetry();
    const outcome = await sendOnce(options, batch);
    if (outcome.kind === 'ok') return outcome.answer;
    if (outcome.kind === 'refused') throw new SdkSendError('refused', outcome.cause, outcome, attempt + 1);
    last = outcome;
    if (attempt + 1 < retry.attempts) await sleep(retryDelayMs(retry, attempt, outcome.retryAfter, Date.now()));
  }
  const lastCause = last?.cause ?? 'no send attempted';
  throw new SdkSendError('exhausted', `no 200 after ${retry.attempts} sends of the same batch; last: ${lastCause}`, last ?? { kind: 'retry', cause: lastCause, retryAfter: null }, retry.attempts);
}
