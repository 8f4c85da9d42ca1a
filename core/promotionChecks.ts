/**
 * The checks a promotion of an hour makes on what it wrote, before anything is published. Each
 * compares figures read back from the written files with the ledger; a failed one is an
 * InvariantViolationError (a bug or corrupt input: the run fails at once and the hour is FAILED).
 */
import { InvariantViolationError } from './errors';
import { checkLedger, goldHourLedger, type Ledger } from './ledger';

/** What a build of an hour counted and what its files hold. */
export interface HourBuildFigures {
  /** The Silver ledger the build counted. */
  readonly ledger: Ledger;
  /** Records of the hour the Bronze manifests commit (summed over the hour's objects). */
  readonly manifestRows: number;
  /** Rows of the Silver file as written. */
  readonly silverRows: number;
  /** Ad events (impressions and clicks with a campaign) of the Silver file as written. */
  readonly adEvents: number;
  /** Sum of impressions + clicks over the Gold file as written. */
  readonly goldCounted: number;
  /** Rows of the quarantine file as written, when the build wrote one. */
  readonly quarantineRows?: number;
}

/**
 * The run's Silver and Gold ledgers, when every check holds: the Silver ledger balances, the records
 * read are those the manifests commit (Bronze conservation), the Silver file holds rows_out rows, the
 * quarantine file holds the late ones, and Gold counts every ad event of the Silver file once (goldHourLedger).
 */
export function checkHourBuild(hour: string, figures: HourBuildFigures): { silver: Ledger; gold: Ledger } {
  const silver = checkLedger(figures.ledger);
  if (silver.rows_in !== figures.manifestRows) {
    throw new InvariantViolationError(`silver ${hour}: read ${silver.rows_in} Bronze records of the hour, the manifests say ${figures.manifestRows}`);
  }
  if (figures.silverRows !== silver.rows_out) throw new InvariantViolationError(`silver ${hour}: wrote ${figures.silverRows} rows, the ledger says ${silver.rows_out}`);
  if (figures.quarantineRows !== undefined && figures.quarantineRows !== silver.late) {
    throw new InvariantViolationError(`silver ${hour}: quarantined ${figures.quarantineRows} events, the ledger says ${silver.late} late`);
  }
  const gold = checkLedger(goldHourLedger({ silverAdEvents: figures.adEvents, goldCounted: figures.goldCounted }));
  return { silver, gold };
}
