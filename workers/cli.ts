/**
 * `clicklake <command>` (CONTRACT §4). With `--json`, stdout holds exactly one JSON document; progress
 * and logs go to stderr. Failures exit non-zero with a one-line reason.
 */
import { numberFlag, parseArgs, stringFlag, type ParsedArgs } from '../core/args';
import { requireSecrets } from '../core/config';
import { BadInputError } from '../core/errors';
import { ensureSecrets } from '../infra/secrets';
import { layoutOf } from '../infra/layout';
import { stackDown, stackStatus, stackUp, type StackStatus } from '../infra/stack';
import { createRedis, Presto } from '../activities/clients';
import { readRealtimeCtr } from '../activities/ctr';
import { DEFAULT_REALTIME_MINUTES, MAX_REALTIME_MINUTES } from '../core/ctr';
import { loadConfig } from './config';
import { runDemo, formatDemo } from './demo';
import { formatStatus, lakeStatus } from './status';
import { generate, writeTruth } from './generate';
import { runPromoteDay, runPromoteHour, verifyGold } from './lakeCommands';
import { ensureLakeWorkflows } from './schedules';

const USAGE = `usage: clicklake <command> [--json]

commands:
  stack up        install (cached) and start the local stack, then bootstrap topics, bucket and schemas
  stack down      stop every local service (data stays in the state folder)
  stack status    ask every service a real protocol question and print its endpoints
  demo            the main job: bring the stack up, send traffic, show results and where to look
                    [--rate R (3000)] [--duration S (15)]
  generate        synthetic traffic through the collector
                    --rate R (events/s, 1000) --duration S (10) [--late-pct P] [--too-late-pct P]
                    [--dup-pct P] [--bad-pct P] [--truth FILE] [--seed N] [--batch N (500)]
                    [--concurrency N (4)] [--campaigns N (50)] [--users N (5000)] [--titles N (200)] [--gzip]
  status          freshness of each hour (READY / LATE / FAILED), consumer lag, schedules, CTR drift
  promote         --hour YYYY-MM-DDTHH: promote one hour (Bronze -> Silver -> Gold) and wait
                  --day YYYY-MM-DD: recompute the daily Gold tables of one day and wait
  ctr             --campaign-id C [--minutes N (60)]: minute-level CTR from Redis, by event time
  query "SQL"     run SQL on Presto (catalog lake); --json prints an array of row objects
  verify          --truth FILE: compare Gold in Presto with a truth file; exit 1 on any difference
  help            this text
`;

function progress(message: string): void {
  process.stderr.write(`clicklake: ${message}\n`);
}

function printStatus(status: StackStatus): void {
  const rows = Object.entries(status.services).map(([name, s]) => {
    const endpoints = Object.entries(s)
      .filter(([k]) => !['healthy', 'detail', 'pid'].includes(k))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `${s.healthy ? 'UP  ' : 'DOWN'}  ${name.padEnd(16)} ${endpoints}\n      ${''.padEnd(16)} ${s.detail}`;
  });
  process.stdout.write(`${rows.join('\n')}\n${status.healthy ? 'all services healthy' : 'some services are down'}\n`);
}

async function up(): Promise<StackStatus> {
  // Secrets are generated before the first start; the config is read again to include them.
  ensureSecrets(layoutOf(loadConfig().paths).secretsFile);
  // The always-on workflows (Bronze ingestion, real-time CTR) and the promotion schedules.
  return stackUp(loadConfig(), progress, [ensureLakeWorkflows]);
}

async function run(args: ParsedArgs): Promise<number> {
  const json = args.flags.json === true;
  const emit = (value: unknown, human: () => void): void => {
    if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  };
  const [command, sub] = args.positional;

  if (command === 'stack' && sub === 'up') {
    const status = await up();
    emit(status, () => printStatus(status));
    return status.healthy ? 0 : 1;
  }
  if (command === 'stack' && sub === 'down') {
    await stackDown(loadConfig(), progress);
    emit({ stopped: true }, () => undefined);
    return 0;
  }
  if (command === 'stack' && sub === 'status') {
    const status = await stackStatus(loadConfig());
    emit(status, () => printStatus(status));
    return status.healthy ? 0 : 1;
  }
  if (command === 'demo') {
    const status = await up();
    if (!status.healthy) {
      emit({ status }, () => printStatus(status));
      return 1;
    }
    const config = loadConfig();
    const report = await runDemo(
      config,
      status,
      {
        ratePerSec: numberFlag(args, 'rate', 3000, { min: 1, max: 1_000_000 }),
        durationSec: numberFlag(args, 'duration', 15, { min: 1, max: 3600 }),
      },
      progress,
    );
    emit(report, () => {
      printStatus(status);
      process.stdout.write(formatDemo(report, layoutOf(config.paths).secretsFile));
    });
    return report.verify.ok ? 0 : 1;
  }
  if (command === 'generate') {
    const config = loadConfig();
    requireSecrets(config);
    const pct = (name: string): number => numberFlag(args, name, 0, { min: 0, max: 100 }) / 100;
    const seed = numberFlag(args, 'seed', Date.now() % 2_147_483_647, { min: 0, max: 2_147_483_647, integer: true });
    const truthFile = stringFlag(args, 'truth');
    const result = await generate(
      config.collector,
      {
        ratePerSec: numberFlag(args, 'rate', 1000, { min: 1, max: 10_000_000 }),
        durationSec: numberFlag(args, 'duration', 10, { min: 0.1, max: 86_400 }),
        batchSize: numberFlag(args, 'batch', 500, { min: 1, max: 1000, integer: true }),
        concurrency: numberFlag(args, 'concurrency', 4, { min: 1, max: 256, integer: true }),
        gzip: args.flags.gzip === true,
        traffic: {
          seed,
          campaigns: numberFlag(args, 'campaigns', 50, { min: 1, max: 1_000_000, integer: true }),
          users: numberFlag(args, 'users', 5000, { min: 1, max: 100_000_000, integer: true }),
          titles: numberFlag(args, 'titles', 200, { min: 1, max: 1_000_000, integer: true }),
          lateFraction: pct('late-pct'),
          tooLateFraction: pct('too-late-pct'),
          duplicateFraction: pct('dup-pct'),
          malformedFraction: pct('bad-pct'),
        },
      },
      (line) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
      },
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    const truth = truthFile === undefined ? undefined : writeTruth(truthFile, result);
    const out = { ...result.summary, truth_file: truthFile ?? null, truth_stats: truth?.stats ?? null };
    emit(out, () => {
      const s = result.summary;
      process.stdout.write(
        `sent ${s.sent} events in ${s.durationSec} s (${s.eventsPerSec}/s, seed ${s.seed}): accepted ${s.accepted} (quarantined ${s.quarantined}), ` +
          `rejected ${s.rejected}, retries ${s.retries}\n` +
          (truthFile ? `truth (${truth?.stats.counted} counted events after dedup) written to ${truthFile}\n` : ''),
      );
    });
    return 0;
  }
  if (command === 'promote') {
    const config = loadConfig();
    const hour = stringFlag(args, 'hour');
    const day = stringFlag(args, 'day');
    if ((hour === undefined) === (day === undefined)) throw new BadInputError('promote: give exactly one of --hour YYYY-MM-DDTHH or --day YYYY-MM-DD');
    if (hour !== undefined) {
      const result = await runPromoteHour(config, hour);
      emit(result, () => {
        const l = result.silver;
        process.stdout.write(
          `promoted ${result.hour} (version ${result.version})\n` +
            `  silver: rows_in ${l.rows_in} = rows_out ${l.rows_out} + duplicates ${l.duplicates} + rejected ${l.rejected} + late ${l.late}\n` +
            `  gold:   ${result.goldRows} ctr_hourly rows from ${result.gold.rows_in} Silver rows\n`,
        );
      });
      return 0;
    }
    const result = await runPromoteDay(config, day as string);
    emit(result, () =>
      process.stdout.write(
        `promoted ${result.dt} (version ${result.version}) from ${result.hoursRead} Silver hours, ${result.silverRows} rows: ` +
          `campaign_daily ${result.rows.campaign_daily}, dau_daily ${result.rows.dau_daily}, title_plays_daily ${result.rows.title_plays_daily}\n`,
      ),
    );
    return 0;
  }
  if (command === 'status') {
    const report = await lakeStatus(loadConfig(), Date.now());
    emit(report, () => process.stdout.write(formatStatus(report)));
    return report.hours.some((h) => h.status === 'FAILED') ? 1 : 0;
  }
  if (command === 'ctr') {
    const config = loadConfig();
    const campaignId = stringFlag(args, 'campaign-id');
    if (campaignId === undefined || campaignId === '') throw new BadInputError('ctr: --campaign-id C is required');
    const minutes = numberFlag(args, 'minutes', DEFAULT_REALTIME_MINUTES, { min: 1, max: MAX_REALTIME_MINUTES, integer: true });
    const redis = createRedis(config.redis);
    try {
      const body = await readRealtimeCtr(redis, campaignId, minutes, Date.now(), config.ctr.keyPrefix);
      emit(body, () => {
        const rows = body.buckets.filter((b) => b.impressions > 0 || b.clicks > 0);
        process.stdout.write(`campaign ${body.campaign_id}, last ${minutes} min (as of ${body.as_of}); minutes with traffic:\n`);
        for (const b of rows) process.stdout.write(`  ${b.minute}  impressions ${String(b.impressions).padStart(6)}  clicks ${String(b.clicks).padStart(5)}  ctr ${b.ctr === null ? 'n/a' : (b.ctr * 100).toFixed(2) + '%'}\n`);
        if (rows.length === 0) process.stdout.write('  (none)\n');
      });
    } finally {
      redis.disconnect();
    }
    return 0;
  }
  if (command === 'query') {
    const sql = args.positional.slice(1).join(' ').trim();
    if (sql === '') throw new BadInputError('query: give the SQL as one argument, e.g. clicklake query "SELECT 1"');
    const rows = await new Presto(loadConfig().presto).queryObjects(sql);
    emit(rows, () => {
      const columns = rows.length > 0 ? Object.keys(rows[0] as object) : [];
      process.stdout.write(`${columns.join('\t')}\n${rows.map((r) => columns.map((c) => JSON.stringify(r[c] ?? null)).join('\t')).join('\n')}\n(${rows.length} rows)\n`);
    });
    return 0;
  }
  if (command === 'verify') {
    const truthFile = stringFlag(args, 'truth');
    if (truthFile === undefined) throw new BadInputError('verify: --truth FILE is required');
    const result = await verifyGold(loadConfig(), truthFile);
    emit(result, () => {
      for (const [table, n] of Object.entries(result.tables)) {
        const diff = result.diffs.find((d) => d.table === table);
        process.stdout.write(`${diff ? 'DIFF' : 'OK  '}  ${table.padEnd(18)} expected ${n.expected} rows, found ${n.found}\n`);
        if (diff) process.stdout.write(`      missing ${JSON.stringify(diff.missing.slice(0, 3))}\n      unexpected ${JSON.stringify(diff.unexpected.slice(0, 3))}\n`);
      }
    });
    return result.ok ? 0 : 1;
  }
  if (command === undefined || command === 'help' || args.flags.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  throw new Error(`unknown command "${args.positional.join(' ')}"; see \`clicklake help\``);
}

run(parseArgs(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`clicklake: ${message}\n`);
    process.exitCode = 1;
  });
