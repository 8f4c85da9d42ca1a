/** Apache Kafka, one node in KRaft mode (broker and controller in one JVM), from Maven Central jars. */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createKafka } from '../../activities/clients';
import type { KafkaConfig } from '../../core/config';
import { errorMessage, InstallError } from '../../core/errors';
import { installOnce, mavenCopyDependencies } from '../install';
import { runSync, startDaemon } from '../process';
import { repoPath } from '../repo';
import { findJavaHome } from '../tools';
import { VERSIONS } from '../versions';
import type { LocalService } from './types';

const POM = repoPath('infra', 'maven', 'kafka-pom.xml');

export function kafkaServerProperties(config: KafkaConfig, logDir: string): string {
  const h = config.host;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${h}:${config.controllerPort}`,
    `listeners=PLAINTEXT://${h}:${config.port},CONTROLLER://${h}:${config.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${h}:${config.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    // One node: internal topics can only have one replica; producers use acks=all, which with
    // min.insync.replicas=1 means "on this broker's log". Production runs 3 replicas, min ISR 2.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Topics are created by bootstrap with chosen partitions and retention, never by a typo.
    'auto.create.topics.enable=false',
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=1',
    'log.retention.hours=168',
    'message.max.bytes=2097152',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  '',
].join('\n');

/** Kafka 3.9 supports Java 11 to 23; we prefer the machine's 17. */
function kafkaJava(): string {
  return path.join(findJavaHome(VERSIONS.minJava, 'Kafka', 23), 'bin', 'java');
}

export const kafka: LocalService = {
  name: 'kafka',
  dependsOn: [],
  startTimeoutMs: 90_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.kafkaHome, `Apache Kafka ${VERSIONS.kafka} (Maven Central)`, (dir) =>
      mavenCopyDependencies(ctx, POM, path.join(dir, 'lib'), { 'kafka.version': VERSIONS.kafka }),
    );
  },

  async start(ctx) {
    const k = ctx.config.kafka;
    const stateDir = ctx.layout.dataDir('kafka');
    const dataDir = path.join(stateDir, 'data');
    fs.mkdirSync(stateDir, { recursive: true });
    const propsFile = path.join(stateDir, 'server.properties');
    const log4jFile = path.join(stateDir, 'log4j.properties');
    fs.writeFileSync(propsFile, kafkaServerProperties(k, dataDir));
    fs.writeFileSync(log4jFile, LOG4J);
    const java = kafkaJava();
    const classpath = `${path.join(ctx.layout.kafkaHome, 'lib')}/*`;
    const log4jArg = `-Dlog4j.configuration=file:${log4jFile}`;

    if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
      // KRaft storage is formatted once with a cluster id; later starts reuse it.
      const clusterId = randomBytes(16).toString('base64url');
      const r = runSync(java, ['-cp', classpath, log4jArg, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile]);
      if (r.status !== 0) throw new InstallError(`formatting Kafka storage failed: ${r.stderr || r.stdout}`);
    }

    startDaemon({
      name: 'kafka',
      command: java,
      args: [
        `-Xms${k.heapMb}m`,
        `-Xmx${k.heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        log4jArg,
        `-Dkafka.logs.dir=${path.join(stateDir, 'logs')}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        propsFile,
      ],
      cwd: stateDir,
      logFile: ctx.layout.logFile('kafka'),
      pidFile: ctx.layout.pidFile('kafka'),
    });
  },

  async probe(ctx) {
    const admin = createKafka(ctx.config.kafka, { clientId: 'clicklake-probe', quiet: true }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { healthy: cluster.brokers.length > 0, detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller}` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    } finally {
      // The probe's answer is decided above; a failed disconnect of a broken connection adds nothing.
      await admin.disconnect().catch(() => undefined);
    }
  },

  endpoints: (config) => ({ brokers: config.kafka.brokers.join(',') }),
};
