/** `clicklake ctr --campaign-id C [--minutes N]`: minute-level CTR from Redis, by event time. */
import { DEFAULT_REALTIME_MINUTES, MAX_REALTIME_MINUTES } from '../../core/ctr';
import { loadConfig } from '../config';
import { defineCommand, numberOption, textOption } from './command';

export const ctrCommand = defineCommand({
  name: 'ctr',
  summary: 'minute-level CTR of a campaign from Redis, by event time',
  options: {
    campaignId: textOption('C', 'the campaign', { required: true }),
    minutes: numberOption('N', 'minutes back from now', { min: 1, max: MAX_REALTIME_MINUTES, integer: true, default: DEFAULT_REALTIME_MINUTES }),
  },
  async run({ campaignId, minutes }) {
    const [{ createRedis }, { readRealtimeCtr }] = await Promise.all([import('../../activities/clients'), import('../../activities/ctr')]);
    const config = loadConfig();
    const redis = createRedis(config.redis);
    try {
      const body = await readRealtimeCtr(redis, campaignId, minutes, Date.now(), config.ctr.keyPrefix);
      const rows = body.buckets.filter((b) => b.impressions > 0 || b.clicks > 0);
      const line = (b: (typeof rows)[number]): string =>
        `  ${b.minute}  impressions ${String(b.impressions).padStart(6)}  clicks ${String(b.clicks).padStart(5)}  ctr ${b.ctr === null ? 'n/a' : (b.ctr * 100).toFixed(2) + '%'}\n`;
      return {
        value: body,
        text: () => `campaign ${body.campaign_id}, last ${minutes} min (as of ${body.as_of}); minutes with traffic:\n${rows.map(line).join('') || '  (none)\n'}`,
      };
    } finally {
      redis.disconnect();
    }
  },
});
