/** Structured logs of the processes that are not Temporal workers (the collector): JSON lines on stderr. */

/** One log line: a message and its fields (never personal data, never secrets). */
export function logLine(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ msg: message, ...fields })}\n`);
}
