/**
 * Pinned versions of every local service. Changing one here changes the cache folder it installs
 * into, so an upgrade never mixes files of two versions.
 */
export const VERSIONS = {
  /** v1.6.0 and later carry a `replace` directive that `go install pkg@version` refuses. */
  temporalCli: 'v1.5.1',
  /** MinIO publishes no semver tags; this pseudo-version pins one commit (2026-02-12). */
  minio: 'v0.0.0-20260212201848-7aac2a2c5b7c',
  kafka: '3.9.1',
  apicurioRegistry: '3.3.3',
  /**
   * Trino, not PrestoDB: the Maven Central copy reachable here has no presto-server 0.29x (the first
   * releases that run on Java 17) and only 2 GB tarballs of 0.283/0.287; Trino 476 is 0.8 GB and runs
   * on the Temurin 25 JDK that machines of this kind carry. `presto-client` speaks to it with engine 'trino'.
   */
  trino: '476',
  /** Trino 476 needs Java 24 or later. */
  trinoMinJava: 24,
  /** Kafka and the registry run on the machine's Java 17. */
  minJava: 17,
} as const;
