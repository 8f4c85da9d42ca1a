/**
 * Records of the dead-letter topic. Every rejected input lands there with the reasons, so nothing a
 * client or producer sent is lost silently; the records are JSON so people and tools can read them.
 */

/** An event the collector refused (CONTRACT §2): the reasons and the event exactly as received. */
export interface CollectorDeadLetter {
  readonly source: 'collector';
  readonly reason: 'invalid_event';
  readonly errors: readonly string[];
  /** Position in the request's `events` array. */
  readonly index: number;
  readonly event_id: string | null;
  readonly received_time: number;
  /** A short, non-reversible id of the API key that sent it (never the key). */
  readonly api_key_id: string;
  readonly event: unknown;
}

/** A Kafka record a consumer could not use (bad framing, unknown schema, undecodable body). */
export interface ConsumerDeadLetter {
  readonly source: 'ctr_consumer' | 'bronze_ingest';
  readonly reason: 'bad_framing' | 'unknown_schema' | 'undecodable';
  readonly errors: readonly string[];
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key_base64: string | null;
  readonly value_base64: string | null;
}

export type DeadLetter = CollectorDeadLetter | ConsumerDeadLetter;

/**
 * The letter as JSON. A collector letter whose event cannot be written as JSON (nested past the
 * stack's depth, a 1 MiB body allows that; fuzzing found it) keeps its reasons and says so instead
 * of failing the request: the client is told the event was rejected, in the answer, either way.
 */
function letterJson(letter: DeadLetter): string {
  try {
    return JSON.stringify(letter);
  } catch (err) {
    if (letter.source !== 'collector') throw err;
    const why = err instanceof RangeError ? 'nested too deep' : 'not JSON-serialisable';
    return JSON.stringify({ ...letter, event: null, errors: [...letter.errors, `event: not kept in the dead letter (${why})`] });
  }
}

/** The Kafka message of a dead letter: keyed by event_id where there is one, JSON value, reason header. */
export function deadLetterMessage(letter: DeadLetter): { key: string | null; value: string; headers: Record<string, string> } {
  const key = letter.source === 'collector' ? letter.event_id : `${letter.topic}/${letter.partition}/${letter.offset}`;
  return { key, value: letterJson(letter), headers: { 'clicklake-source': letter.source, 'clicklake-reason': letter.reason } };
}
