/**
 * Workflow tests on the real Temporal dev server: the `temporal` CLI the stack installs (downloads
 * are impossible here), started by the SDK's test environment on a port of its own, with the lake's
 * search attributes registered; the lake workflows bundled once per test file; one worker per test
 * on the test's own task queue, with the activities the test gives it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES, type SearchAttributeName } from '../../core/searchAttributes';
import { DAY_MS, dayOf } from '../../core/time';
import { layoutOf } from '../../infra/layout';
import { loadConfig } from '../../workers/config';

/** The `temporal` CLI the stack installed (infra/services/temporal.ts), or an error saying how to get it. */
export function temporalCliPath(): string {
  const binary = path.join(layoutOf(loadConfig().paths).temporalBinDir, 'temporal');
  if (!fs.existsSync(binary)) {
    throw new Error(`the Temporal CLI is not installed at ${binary}: run \`npx clicklake stack up\` (npm test installs it before jest runs)`);
  }
  return binary;
}

const ATTRIBUTE_TYPES = { Keyword: SearchAttributeType.KEYWORD, Int: SearchAttributeType.INT } as const;

/** The typed key of one of the lake's search attributes (core/searchAttributes.ts). */
export function lakeAttribute<N extends SearchAttributeName>(name: N) {
  return defineSearchAttributeKey(name, ATTRIBUTE_TYPES[SEARCH_ATTRIBUTES[name]]);
}

/** A dev server of the test file's own, with every search attribute the lake workflows upsert. */
async function startTestServer(): Promise<TestWorkflowEnvironment> {
  if (Runtime._instance === undefined) Runtime.install({ logger: new DefaultLogger('ERROR') });
  const searchAttributes = (Object.keys(SEARCH_ATTRIBUTES) as SearchAttributeName[]).map(lakeAttribute);
  // The SDK gives the server 5 s to answer, fixed; on a loaded 2-core machine (bundling beside it)
  // a start can take longer, so a start that times out is tried again, a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() }, searchAttributes } });
    } catch (err) {
      if (attempt >= 4 || !/did not start within/.test(String(err))) throw err;
    }
  }
}

export interface WorkflowTestServer {
  readonly client: Client;
  /** Runs `body` while a worker polls `taskQueue` with the bundled workflows and the given activities. */
  withWorker<T>(taskQueue: string, activities: object, body: () => Promise<T>): Promise<T>;
}

/**
 * The test file's server and bundle: started in beforeAll (the lake workflows, the worker's one
 * workflowsPath, bundled once with the given interceptor modules), torn down in afterAll.
 */
export function workflowTestServer(workflowInterceptorModules: string[] = []): WorkflowTestServer {
  let env: TestWorkflowEnvironment | undefined;
  let bundle: WorkflowBundleWithSourceMap | undefined;
  beforeAll(async () => {
    [env, bundle] = await Promise.all([
      startTestServer(),
      bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), workflowInterceptorModules, logger: new DefaultLogger('WARN') }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });
  const started = () => {
    if (env === undefined || bundle === undefined) throw new Error('the test server starts in beforeAll');
    return { env, bundle };
  };
  return {
    get client() {
      return started().env.client;
    },
    async withWorker(taskQueue, activities, body) {
      const { env: server, bundle: workflowBundle } = started();
      const worker = await Worker.create({ connection: server.nativeConnection, namespace: server.namespace ?? 'default', taskQueue, workflowBundle, activities });
      return worker.runUntil(body);
    },
  };
}

/** A task queue (and workflow id prefix) no other test uses. */
export function uniqueTaskQueue(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/**
 * Days no other test of the file uses, from a random start: the lake workflows' ids are business
 * keys (`promote-day-<dt>`, `promote-hour-<hour>`), so a test owns its ids by owning its day.
 */
export function freshDays(): () => string {
  let ms = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 5000) * DAY_MS;
  return () => dayOf((ms += DAY_MS));
}

/** Describes a workflow id once it exists (a child another workflow starts), or fails after `timeoutMs`. */
export async function describeWhenStarted(client: Client, workflowId: string, timeoutMs = 20_000): Promise<WorkflowExecutionDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** True when no run of the workflow id was ever started on the server. */
export async function neverStarted(client: Client, workflowId: string): Promise<boolean> {
  return client.workflow.getHandle(workflowId).describe().then(
    () => false,
    (err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    },
  );
}

/** A promise the test resolves by hand, to hold an activity at a chosen point. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
