import { numberFlag, parseArgs, stringFlag } from '../../core/args';

describe('parseArgs', () => {
  it.each([
    [['stack', 'up'], { positional: ['stack', 'up'], flags: {} }],
    [['stack', 'status', '--json'], { positional: ['stack', 'status'], flags: { json: true } }],
    [['--json', 'stack', 'status'], { positional: ['stack', 'status'], flags: { json: true } }],
    [['promote', '--hour', '2026-11-22T05'], { positional: ['promote'], flags: { hour: '2026-11-22T05' } }],
    [['promote', '--hour=2026-11-22T05'], { positional: ['promote'], flags: { hour: '2026-11-22T05' } }],
    [['generate', '--rate', '100', '--truth'], { positional: ['generate'], flags: { rate: '100', truth: true } }],
    [['query', '--', '--not-a-flag'], { positional: ['query', '--not-a-flag'], flags: {} }],
  ])('%j', (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it('refuses an empty option name', () => {
    expect(() => parseArgs(['x', '--=1'])).toThrow('empty option name in "--=1"');
  });
});

describe('numberFlag and stringFlag', () => {
  const args = parseArgs(['generate', '--rate', '250', '--dup-pct', '2.5', '--duration', 'ten', '--truth', 'out.json', '--seed']);

  it('reads numbers within their rule', () => {
    expect(numberFlag(args, 'rate', 1000, { min: 1, max: 1e6, integer: true })).toBe(250);
    expect(numberFlag(args, 'dup-pct', 0, { min: 0, max: 100 })).toBe(2.5);
    expect(numberFlag(args, 'late-pct', 7, { min: 0, max: 100 })).toBe(7);
  });

  it.each([
    ['duration', { min: 1, max: 10 }, '--duration: must be a number, got "ten"'],
    ['seed', { min: 0, max: 10 }, '--seed: needs a value'],
    ['dup-pct', { min: 0, max: 100, integer: true }, '--dup-pct: must be a whole number, got 2.5'],
    ['rate', { min: 1, max: 100 }, '--rate: must be between 1 and 100, got 250'],
  ])('refuses --%s with a message naming it', (name, rule, message) => {
    expect(() => numberFlag(args, name, 0, rule)).toThrow(message);
  });

  it('reads strings and refuses a bare option', () => {
    expect([stringFlag(args, 'truth'), stringFlag(args, 'absent')]).toEqual(['out.json', undefined]);
    expect(() => stringFlag(args, 'seed')).toThrow('--seed: needs a value');
  });
});
