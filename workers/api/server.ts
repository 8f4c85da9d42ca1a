/**
 * The serving API's HTTP server (CONTRACT §2b): authentication by key (core/apiKeys.ts, the store
 * re-read when its file changes, so `clicklake keys` takes effect without a restart), per-user
 * admission (a token bucket of queries per minute and a bound on queries at once: 429 with
 * Retry-After), and the routes. Every error is `{"error", "detail"}`; a user's mistake is a 4xx
 * naming the field, never a 500.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { authenticate, scopesOf, type ApiUser, type KeyStore } from '../../core/apiKeys';
import { takeTokens, type TokenBucketState } from '../../core/admission';
import { errorMessage, HttpError, QueryUserError } from '../../core/errors';
import { repoPath } from '../../infra/repo';
import { readBody } from '../httpBody';
import { logLine } from '../log';
import { dailyMetrics, parseDailyRequest } from './dailyMetrics';
import { ctrMetrics, parseCtrRequest, type CtrDeps } from './metrics';
import { parseQueryBody, runQuery, type QueryDeps } from './query';

export interface ApiDeps {
  readonly ctr: CtrDeps;
  readonly query: QueryDeps;
  /** The key store as it is now (infra/keyStore.ts watchKeyStore); `force` looks at the file at once. */
  readonly keys: (force?: boolean) => KeyStore;
  readonly limits: { readonly queriesPerMinute: number; readonly concurrencyPerUser: number };
  readonly status: () => Promise<unknown>;
  readonly erase: (userId: unknown, suppress: unknown) => Promise<unknown>;
  readonly realtimeTop: (user: ApiUser, minutes: number, limit: number) => Promise<unknown>;
  readonly now: () => number;
}

interface ApiState {
  readonly deps: ApiDeps;
  readonly buckets: Map<string, TokenBucketState>;
  readonly running: Map<string, number>;
}

const MAX_BODY = 256 * 1024;

function userOf(state: ApiState, req: http.IncomingMessage): ApiUser {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  // An unknown key looks at the store once more: a key created a moment ago is accepted at once.
  const user = m?.[1] === undefined ? undefined : (authenticate(state.deps.keys(), m[1]) ?? authenticate(state.deps.keys(true), m[1]));
  if (user === undefined) {
    const detail = req.headers.authorization ? 'authorization: unknown or revoked API key' : 'authorization: missing "Bearer <api key>" header';
    throw new HttpError(401, { error: 'unauthorized', detail }, { 'www-authenticate': 'Bearer' });
  }
  return user;
}

/** One query of the user's budget, and a slot of its concurrency, or a 429; returns the release. */
function admit(state: ApiState, user: ApiUser): () => void {
  const { queriesPerMinute, concurrencyPerUser } = state.deps.limits;
  const running = state.running.get(user.name) ?? 0;
  if (running >= concurrencyPerUser) {
    throw new HttpError(429, { error: 'too_many_requests', detail: `user ${user.name}: ${running} queries already running (at most ${concurrencyPerUser} at once)` }, { 'retry-after': '1' });
  }
  const limit = { ratePerSec: queriesPerMinute / 60, burst: Math.max(1, Math.ceil(queriesPerMinute / 4)) };
  const { state: bucket, admission } = takeTokens(state.buckets.get(user.name), limit, 1, state.deps.now());
  state.buckets.set(user.name, bucket);
  if (!admission.ok) {
    throw new HttpError(429, { error: 'too_many_requests', detail: `user ${user.name}: query budget spent (${queriesPerMinute} per minute)` }, { 'retry-after': String(admission.retryAfterSec) });
  }
  state.running.set(user.name, running + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.running.set(user.name, (state.running.get(user.name) ?? 1) - 1);
  };
}

async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, { error: 'unsupported_media_type', detail: `content-type: must be application/json, got ${JSON.stringify(type)}` });
  const raw = await readBody(req, 'identity', MAX_BODY).catch((err: unknown) => {
    const status = (err as { status?: number }).status;
    throw new HttpError(status ?? 400, { error: 'bad_request', detail: `body: ${errorMessage(err)}` });
  });
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, { error: 'bad_request', detail: `body: not valid JSON (${errorMessage(err)})` });
  }
}

const STATIC: Readonly<Record<string, readonly [file: string, type: string]>> = {
  '/': [repoPath('workers', 'api', 'dashboard', 'index.html'), 'text/html; charset=utf-8'],
  '/dashboard.js': [repoPath('workers', 'api', 'dashboard', 'dashboard.js'), 'text/javascript; charset=utf-8'],
  '/dashboard.css': [repoPath('workers', 'api', 'dashboard', 'dashboard.css'), 'text/css; charset=utf-8'],
  '/assets/echarts.min.js': [repoPath('node_modules', 'echarts', 'dist', 'echarts.min.js'), 'text/javascript; charset=utf-8'],
};

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A user's SQL the engine refused: 403 for a denied read, 400 for the rest (syntax, missing table). */
function queryRefusal(err: QueryUserError): HttpError {
  const denied = /access denied/i.test(err.message);
  return new HttpError(denied ? 403 : 400, { error: denied ? 'forbidden' : 'query_failed', detail: err.message.replace(/ \[[\s\S]*\]$/, '') });
}

async function route(state: ApiState, req: http.IncomingMessage, url: URL): Promise<Answer> {
  const { deps } = state;
  if (req.method === 'GET' && url.pathname === '/healthz') return { status: 200, body: { status: 'ok' } };
  if (req.method === 'GET' && url.pathname === '/favicon.ico') return { status: 404, body: { error: 'not_found', detail: 'no icon' } };
  const user = userOf(state, req);
  if (user.role === 'collector') throw new HttpError(403, { error: 'forbidden', detail: `role: a collector key only sends events to the collector (user ${user.name})` });
  if (!scopesOf(user).includes('read')) throw new HttpError(403, { error: 'forbidden', detail: `scopes: the API needs a key with the read scope (key ${user.key_id} of ${user.name} has ${scopesOf(user).join(', ')})` });
  const release = admit(state, user);
  try {
    if (req.method === 'GET' && url.pathname === '/v1/metrics/ctr') return { status: 200, body: await ctrMetrics(deps.ctr, user, parseCtrRequest(url.searchParams), deps.now()) };
    if (req.method === 'GET' && url.pathname === '/v1/metrics/dau') return { status: 200, body: await dailyMetrics(deps.ctr, user, parseDailyRequest('dau', url.searchParams), deps.now()) };
    if (req.method === 'GET' && url.pathname === '/v1/metrics/title-plays') return { status: 200, body: await dailyMetrics(deps.ctr, user, parseDailyRequest('title-plays', url.searchParams), deps.now()) };
    if (req.method === 'POST' && url.pathname === '/v1/query') return { status: 200, body: await runQuery(deps.query, user, parseQueryBody(await jsonBody(req))) };
    if (req.method === 'GET' && url.pathname === '/v1/status') return { status: 200, body: await deps.status() };
    if (req.method === 'GET' && url.pathname === '/v1/realtime/top') {
      const minutes = Number(url.searchParams.get('minutes') ?? 30);
      const limit = Number(url.searchParams.get('limit') ?? 8);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 180) throw new HttpError(400, { error: 'bad_request', detail: `minutes: a whole number 1-180, got ${url.searchParams.get('minutes')}` });
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new HttpError(400, { error: 'bad_request', detail: `limit: a whole number 1-50, got ${url.searchParams.get('limit')}` });
      return { status: 200, body: await deps.realtimeTop(user, minutes, limit) };
    }
    if (req.method === 'POST' && url.pathname === '/v1/erasures') {
      if (user.role !== 'admin') throw new HttpError(403, { error: 'forbidden', detail: `role: erasures need an admin key (user ${user.name} is ${user.role})` });
      if (!scopesOf(user).includes('admin')) throw new HttpError(403, { error: 'forbidden', detail: `scopes: erasures need a key with the admin scope (key ${user.key_id} of ${user.name} has ${scopesOf(user).join(', ')})` });
      const body = (await jsonBody(req)) as { user_id?: unknown; suppress?: unknown } | null;
      if (typeof body !== 'object' || body === null) throw new HttpError(400, { error: 'bad_request', detail: 'body: must be a JSON object {"user_id": "..."}' });
      return { status: 202, body: await deps.erase(body.user_id, body.suppress) };
    }
    throw new HttpError(404, { error: 'not_found', detail: `${req.method ?? ''} ${url.pathname}: no such endpoint (CONTRACT §2b)` });
  } catch (err) {
    // What the engine refused this user (a denied read, a bad statement) is the user's answer, not an outage.
    if (err instanceof QueryUserError) throw queryRefusal(err);
    throw err;
  } finally {
    release();
  }
}

function send(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...answer.headers });
  res.end(JSON.stringify(answer.body));
}

async function handle(state: ApiState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://api');
  const started = Date.now();
  const asset = req.method === 'GET' ? STATIC[url.pathname] : undefined;
  if (asset !== undefined) {
    // The page and its scripts need no key: they hold no data; every call they make does.
    fs.readFile(asset[0], (err, bytes) => {
      if (err) return send(res, { status: 404, body: { error: 'not_found', detail: `${path.basename(asset[0])}: not installed (${err.code ?? err.message})` } });
      res.writeHead(200, { 'content-type': asset[1], 'cache-control': 'no-cache' });
      res.end(bytes);
    });
    return;
  }
  try {
    send(res, await route(state, req, url));
  } catch (err) {
    if (err instanceof HttpError) return send(res, { status: err.status, body: err.body, headers: { ...err.headers } });
    logLine('api request failed', { path: url.pathname, error: errorMessage(err), ms: Date.now() - started });
    send(res, { status: 503, body: { error: 'unavailable', detail: `a service behind the API failed: ${errorMessage(err)}` }, headers: { 'retry-after': '5' } });
  }
}

export function createApiServer(deps: ApiDeps): http.Server {
  const state: ApiState = { deps, buckets: new Map(), running: new Map() };
  return createServer((req, res) => void handle(state, req, res));
}
