import { ClicklakeError, LedgerImbalanceError } from '../../core/errors';
import { EMPTY_LEDGER, checkLedger, goldHourLedger, sumLedgers, type Ledger } from '../../core/ledger';

const ledger = (rows_in: number, rows_out: number, duplicates: number, rejected: number, late: number, erased = 0): Ledger => ({ rows_in, rows_out, duplicates, rejected, late, erased });

describe('checkLedger', () => {
  it.each<[Ledger]>([[EMPTY_LEDGER], [ledger(10, 10, 0, 0, 0)], [ledger(10, 4, 3, 2, 1)], [ledger(3, 0, 1, 1, 1)]])('accepts %j', (l) => {
    expect(checkLedger(l)).toEqual(l);
  });

  it.each<[Ledger, string]>([
    [ledger(10, 4, 3, 2, 0), 'ledger: rows_in 10 != rows_out + duplicates + rejected + late + erased = 9 (rows_in=10, rows_out=4, duplicates=3, rejected=2, late=0, erased=0)'],
    [ledger(0, 1, 0, 0, 0), 'ledger: rows_in 0 != rows_out + duplicates + rejected + late + erased = 1'],
    [ledger(1, 2, -1, 0, 0), 'ledger: duplicates must be a whole number ≥ 0'],
    [ledger(1.5, 1.5, 0, 0, 0), 'ledger: rows_in must be a whole number ≥ 0'],
    [ledger(Number.NaN, 0, 0, 0, 0), 'ledger: rows_in must be a whole number ≥ 0'],
  ])('refuses %j', (l, message) => {
    expect(() => checkLedger(l)).toThrow(message);
  });

  it('throws a typed, non-retryable error carrying the figures', () => {
    const bad = ledger(5, 1, 1, 1, 1);
    let error: unknown;
    try {
      checkLedger(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LedgerImbalanceError);
    expect(error).toBeInstanceOf(ClicklakeError);
    const { name, retriable, ledger: figures } = error as LedgerImbalanceError;
    expect({ name, retriable, figures }).toEqual({ name: 'LedgerImbalanceError', retriable: false, figures: bad });
  });
});

describe('sumLedgers', () => {
  it.each<[Ledger[], Ledger]>([
    [[], EMPTY_LEDGER],
    [[ledger(10, 4, 3, 2, 1)], ledger(10, 4, 3, 2, 1)],
    [[ledger(10, 4, 3, 2, 1), ledger(5, 5, 0, 0, 0), ledger(2, 0, 0, 1, 1)], ledger(17, 9, 3, 3, 2)],
  ])('%j', (ledgers, sum) => {
    expect(sumLedgers(ledgers)).toEqual(sum);
  });
});

describe('goldHourLedger', () => {
  it.each<[number, number, boolean]>([
    [0, 0, true],
    [120, 120, true],
    [120, 119, false], // a Gold row lost an event (or a row was dropped from the file)
    [120, 121, false], // an ad event counted twice
  ])('Silver ad events %d, Gold counted %d: balances %p', (silverAdEvents, goldCounted, balances) => {
    const ledger = goldHourLedger({ silverAdEvents, goldCounted });
    expect(ledger).toEqual({ rows_in: silverAdEvents, rows_out: goldCounted, duplicates: 0, rejected: 0, late: 0, erased: 0 });
    if (balances) expect(checkLedger(ledger)).toEqual(ledger);
    else expect(() => checkLedger(ledger)).toThrow(LedgerImbalanceError);
  });
});
