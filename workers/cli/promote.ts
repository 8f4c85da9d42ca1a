/** `clicklake promote --hour H | --day D`: run one promotion through Temporal and wait for it. */
import { BadInputError, errorMessage } from '../../core/errors';
import { parseDay, parseHourKey } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand, flagOption, textOption } from './command';
import { UsageError } from './program';

/** The parser's refusal (`hour: expected ...`), naming the flag instead. */
export function checkWith(parse: (value: string) => unknown) {
  return (value: string, flag: string): void => {
    try {
      parse(value);
    } catch (err) {
      throw new BadInputError(`${flag}: ${errorMessage(err).replace(/^\w+: /, '')}`);
    }
  };
}

export const promoteCommand = defineCommand({
  name: 'promote',
  summary: 'promote one hour (Bronze -> Silver -> Gold) or recompute the daily Gold tables of one day, and wait',
  options: {
    hour: textOption('YYYY-MM-DDTHH', 'the hour to promote (UTC)', { check: checkWith(parseHourKey) }),
    day: textOption('YYYY-MM-DD', 'the day whose daily Gold tables to recompute (UTC)', { check: checkWith(parseDay) }),
    acceptQuality: flagOption('publish the hour even when its quality gate blocks it (recorded as quality "accepted")'),
  },
  async run({ hour, day, acceptQuality }) {
    if ((hour === undefined) === (day === undefined)) throw new UsageError('promote: give exactly one of --hour YYYY-MM-DDTHH or --day YYYY-MM-DD');
    if (acceptQuality && hour === undefined) throw new UsageError('promote: --accept-quality goes with --hour');
    const { runPromoteDay, runPromoteHour } = await import('../lakeCommands');
    const config = loadConfig();
    if (hour !== undefined) {
      const result = await runPromoteHour(config, hour, { acceptQuality });
      const l = result.silver;
      return {
        value: result,
        text: () =>
          `promoted ${result.hour} (version ${result.version})\n` +
          `  silver: rows_in ${l.rows_in} = rows_out ${l.rows_out} + duplicates ${l.duplicates} + rejected ${l.rejected} + late ${l.late} + erased ${l.erased}\n` +
          `  gold:   ${result.goldRows} ctr_hourly rows counting ${result.gold.rows_out} ad events of Silver\n` +
          (result.quality && result.quality.level !== 'ok' ? `  quality ${result.quality.level}: ${result.quality.reasons.join('; ')}\n` : ''),
      };
    }
    const result = await runPromoteDay(config, day as string);
    return {
      value: result,
      text: () =>
        `promoted ${result.dt} (version ${result.version}) from ${result.hoursRead} Silver hours, ${result.silverRows} rows: ` +
        `campaign_daily ${result.rows.campaign_daily}, dau_daily ${result.rows.dau_daily}, title_plays_daily ${result.rows.title_plays_daily}\n`,
    };
  },
});
