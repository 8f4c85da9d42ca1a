import { InvariantViolationError, LedgerImbalanceError } from '../../core/errors';
import { checkHourBuild, type HourBuildFigures } from '../../core/promotionChecks';

const HOUR = '2026-11-22T05';
// 100 records read: 90 kept, 6 duplicates, 3 rejected, 1 late; 40 of the kept are ad events.
const sound: HourBuildFigures = {
  ledger: { rows_in: 100, rows_out: 90, duplicates: 6, rejected: 3, late: 1, erased: 0 },
  manifestRows: 100,
  silverRows: 90,
  adEvents: 40,
  goldCounted: 40,
  quarantineRows: 1,
};

describe('checkHourBuild', () => {
  it('gives the Silver ledger and the Gold ledger read back from the files', () => {
    expect(checkHourBuild(HOUR, sound)).toEqual({ silver: sound.ledger, gold: { rows_in: 40, rows_out: 40, duplicates: 0, rejected: 0, late: 0, erased: 0 } });
  });

  it.each<[string, Partial<HourBuildFigures>, new (...args: never[]) => Error, string]>([
    ['a Bronze object holds fewer records than its manifest', { manifestRows: 101 }, InvariantViolationError, `silver ${HOUR}: read 100 Bronze records of the hour, the manifests say 101`],
    ['the Silver file holds fewer rows than the ledger', { silverRows: 89 }, InvariantViolationError, `silver ${HOUR}: wrote 89 rows, the ledger says 90`],
    ['a row was dropped from the Gold file', { goldCounted: 37 }, LedgerImbalanceError, 'ledger: rows_in 40 != rows_out + duplicates + rejected + late + erased = 37'],
    ['Gold counts an ad event twice', { goldCounted: 41 }, LedgerImbalanceError, 'ledger: rows_in 40 != rows_out + duplicates + rejected + late + erased = 41'],
    ['the quarantine file holds fewer events than the ledger counts late', { quarantineRows: 0 }, InvariantViolationError, `silver ${HOUR}: quarantined 0 events, the ledger says 1 late`],
    ['the Silver ledger does not balance', { ledger: { ...sound.ledger, duplicates: 5 } }, LedgerImbalanceError, 'ledger: rows_in 100 != rows_out + duplicates + rejected + late + erased = 99'],
  ])('fails when %s', (_case, change, type, message) => {
    const check = (): unknown => checkHourBuild(HOUR, { ...sound, ...change });
    expect(check).toThrow(type);
    expect(check).toThrow(message);
  });

  it('fails non-retriably: a retry of the same code cannot help', () => {
    let error: unknown;
    try {
      checkHourBuild(HOUR, { ...sound, silverRows: 1 });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ name: 'InvariantViolationError', retriable: false });
  });
});
