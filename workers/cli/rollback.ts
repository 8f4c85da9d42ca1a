/** `clicklake rollback --hour H --version V` / `--day D --version V`: publish a kept earlier version again. */
import { parseDay, parseHourKey } from '../../core/time';
import { loadConfig } from '../config';
import { defineCommand, textOption } from './command';
import { UsageError } from './program';
import { checkWith } from './promote';

export const rollbackCommand = defineCommand({
  name: 'rollback',
  summary: 'publish a kept earlier version of an hour (Silver and ctr_hourly) or a day (daily Gold) again, recorded as a manual restatement',
  options: {
    hour: textOption('YYYY-MM-DDTHH', 'the hour to roll back (UTC)', { check: checkWith(parseHourKey) }),
    day: textOption('YYYY-MM-DD', 'the day whose daily Gold tables to roll back (UTC)', { check: checkWith(parseDay) }),
    version: textOption('V', 'the version to publish (as `status` and lake.audit.hour_runs name it)', { required: true }),
  },
  async run({ hour, day, version }) {
    if ((hour === undefined) === (day === undefined)) throw new UsageError('rollback: give exactly one of --hour YYYY-MM-DDTHH or --day YYYY-MM-DD');
    const [{ createS3, Presto }, { rollbackDay, rollbackHour }] = await Promise.all([import('../../activities/clients'), import('../../activities/rollback')]);
    const config = loadConfig();
    const s3 = createS3(config.s3);
    try {
      const lake = { s3, presto: new Presto(config.presto), bucket: config.s3.bucket };
      const result = hour !== undefined ? await rollbackHour(lake, hour, version, Date.now()) : await rollbackDay(lake, day as string, version, Date.now());
      return {
        value: result,
        text: () =>
          `rolled back ${result.target} to version ${result.version}\n` +
          result.tables.map((t) => `  ${t.table}: ${t.previous ?? '(none)'} -> ${result.version}, ${t.restated} Gold row(s) restated\n`).join(''),
      };
    } finally {
      s3.destroy();
    }
  },
});
