/**
 * The conservation ledger of one promotion run of an hour and layer (CONTRACT §3, `lake.audit.hour_runs`):
 * every row read is written, or counted as a duplicate, a rejection, a late (quarantined) event or an
 * event of an erased user (core/erasure.ts). `rows_in = rows_out + duplicates + rejected + late + erased`,
 * always; a run whose figures do not add up fails loudly and publishes nothing.
 */
import { LedgerImbalanceError } from './errors';

export interface Ledger {
  readonly rows_in: number;
  readonly rows_out: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly late: number;
  /** Events of erased users dropped (at Bronze ingestion or in the build); counted, never written. */
  readonly erased: number;
}

export const LEDGER_FIELDS = ['rows_in', 'rows_out', 'duplicates', 'rejected', 'late', 'erased'] as const satisfies ReadonlyArray<keyof Ledger>;

export const EMPTY_LEDGER: Ledger = { rows_in: 0, rows_out: 0, duplicates: 0, rejected: 0, late: 0, erased: 0 };

/** The ledger's fields in LEDGER_FIELDS order (the error message lists them so). */
function figures(ledger: Ledger): Record<string, number> {
  return Object.fromEntries(LEDGER_FIELDS.map((field) => [field, ledger[field]]));
}

/** Returns the ledger when it balances; throws LedgerImbalanceError otherwise. */
export function checkLedger(ledger: Ledger): Ledger {
  const bad = LEDGER_FIELDS.find((field) => !Number.isSafeInteger(ledger[field]) || ledger[field] < 0);
  if (bad !== undefined) throw new LedgerImbalanceError(figures(ledger), `${bad} must be a whole number ≥ 0`);
  const accounted = ledger.rows_out + ledger.duplicates + ledger.rejected + ledger.late + ledger.erased;
  if (ledger.rows_in !== accounted) {
    throw new LedgerImbalanceError(figures(ledger), `rows_in ${ledger.rows_in} != rows_out + duplicates + rejected + late + erased = ${accounted}`);
  }
  return ledger;
}

/** Field-by-field sum, e.g. of the hours of a backfill. */
export function sumLedgers(ledgers: readonly Ledger[]): Ledger {
  return ledgers.reduce<Ledger>(
    (sum, l) => ({
      rows_in: sum.rows_in + l.rows_in,
      rows_out: sum.rows_out + l.rows_out,
      duplicates: sum.duplicates + l.duplicates,
      rejected: sum.rejected + l.rejected,
      late: sum.late + l.late,
      erased: sum.erased + l.erased,
    }),
    EMPTY_LEDGER,
  );
}

/**
 * The Gold ledger of an hour, from what the written files hold (read back, not the tables they came
 * from): rows_in = the ad events of the Silver file (impressions and clicks with a campaign), rows_out
 * = the sum of impressions + clicks over the Gold file's rows. Nothing is a duplicate, a rejection or
 * late or erased at this layer, so checkLedger fails it whenever Gold counts an ad event of Silver other than once.
 */
export function goldHourLedger(counts: { readonly silverAdEvents: number; readonly goldCounted: number }): Ledger {
  return { rows_in: counts.silverAdEvents, rows_out: counts.goldCounted, duplicates: 0, rejected: 0, late: 0, erased: 0 };
}
