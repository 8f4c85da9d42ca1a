/** `clicklake demo`, the main job: stack up, traffic, the pipeline, results and where to look. */
import { defineCommand, numberOption } from './command';
import { bringUp, formatStackStatus } from './stack';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'the main job: bring the stack up, send traffic, run the pipeline, show results and where to look',
  options: {
    rate: numberOption('R', 'events per second', { min: 1, max: 1_000_000, default: 3000 }),
    duration: numberOption('S', 'seconds of traffic', { min: 1, max: 3600, default: 15 }),
  },
  async run({ rate, duration }, _words, { progress }) {
    const { config, status } = await bringUp(progress);
    if (!status.healthy) return { value: { status }, text: () => formatStackStatus(status), failure: 'some services are down' };
    const [{ runDemo, formatDemo }, { layoutOf }] = await Promise.all([import('../demo'), import('../../infra/layout')]);
    const report = await runDemo(config, status, { ratePerSec: rate, durationSec: duration }, progress);
    return {
      value: report,
      text: () => formatStackStatus(status) + formatDemo(report, layoutOf(config.paths).secretsFile),
      failure: report.verify.ok ? undefined : 'Gold differs from the truth of the demo traffic',
    };
  },
});
