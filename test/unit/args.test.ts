import { parseArgs } from '../../core/args';

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
