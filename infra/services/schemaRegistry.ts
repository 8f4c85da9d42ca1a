/**
 * Apicurio Registry 3 (Quarkus, from Maven Central) serving the Confluent-compatible API under
 * /apis/ccompat/v7. Storage is its SQL backend on an H2 database file in the state folder, so
 * schemas and their ids survive restarts and the registry does not wait for Kafka to start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../../core/errors';
import { installOnce, mavenTarball } from '../install';
import { startDaemon } from '../process';
import { findJavaHome } from '../tools';
import { VERSIONS } from '../versions';
import type { LocalService } from './types';

export const schemaRegistry: LocalService = {
  name: 'schema_registry',
  dependsOn: [],
  startTimeoutMs: 90_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.registryHome, `Apicurio Registry ${VERSIONS.apicurioRegistry} (Maven Central)`, (dir) =>
      mavenTarball(
        ctx,
        { groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: VERSIONS.apicurioRegistry, classifier: 'all' },
        dir,
        false,
      ),
    );
  },

  async start(ctx) {
    const r = ctx.config.schemaRegistry;
    const dataDir = ctx.layout.dataDir('schema_registry');
    fs.mkdirSync(dataDir, { recursive: true });
    // Apicurio 3.3 is compiled for Java 21.
    const java = path.join(findJavaHome(21, 'Apicurio Registry'), 'bin', 'java');
    startDaemon({
      name: 'schema_registry',
      command: java,
      args: [
        `-Xmx${r.heapMb}m`,
        '-XX:+UseSerialGC',
        `-Dquarkus.http.host=${r.host}`,
        `-Dquarkus.http.port=${r.port}`,
        `-Dquarkus.management.host=${r.host}`,
        `-Dquarkus.management.port=${r.managementPort}`,
        '-Dquarkus.http.access-log.enabled=false',
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=h2',
        `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(dataDir, 'registry')}`,
        // Confluent clients may delete subjects and versions (e.g. tests cleaning up).
        '-Dapicurio.rest.deletion.artifact.enabled=true',
        '-Dapicurio.rest.deletion.artifact-version.enabled=true',
        '-jar',
        path.join(ctx.layout.registryHome, 'quarkus-run.jar'),
      ],
      cwd: dataDir,
      logFile: ctx.layout.logFile('schema_registry'),
      pidFile: ctx.layout.pidFile('schema_registry'),
    });
  },

  async probe(ctx) {
    try {
      const res = await fetch(`${ctx.config.schemaRegistry.url}/subjects`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return { healthy: false, detail: `GET /subjects answered ${res.status}` };
      const subjects = (await res.json()) as unknown;
      if (!Array.isArray(subjects)) return { healthy: false, detail: 'GET /subjects did not answer a JSON array' };
      return { healthy: true, detail: `${subjects.length} subject(s)` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    }
  },

  endpoints: (config) => ({ url: config.schemaRegistry.url }),
};
