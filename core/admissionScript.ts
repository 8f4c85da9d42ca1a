/**
 * The shared admission check of the collector fleet as one Redis Lua script, so a request costs one
 * round trip and its checks are atomic: the signature replay check (when the key signs), the token
 * bucket refill and take (the same arithmetic as core/admission.ts takeTokens, on Redis's clock so
 * every instance agrees), and the replay mark of an admitted signature.
 *
 * KEYS[1] the key's bucket (a hash {t = tokens, ts = ms}); KEYS[2], when present, the signature's
 * replay mark. Both carry the API key's id as the hash tag (`{<id>}`), so Redis Cluster puts them on
 * one slot. ARGV: ratePerSec, burst, cost, replay mark TTL in seconds.
 * Returns {1, 0} admitted, {0, retryAfterSec} rate limited, {-1, 0} a replayed signature.
 */

export const ADMISSION_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0} end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000 * rate)
local ok = 0
local wait = 0
if cost > burst then
  wait = math.ceil(burst / rate)
elseif tokens >= cost then
  tokens = tokens - cost
  ok = 1
else
  wait = math.max(1, math.ceil((cost - tokens) / rate))
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
if ok == 1 and KEYS[2] then redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[4])) end
return {ok, wait}
`;

/** Redis key names of one API key's admission state (hash-tagged by the key id). */
export function admissionKeys(prefix: string, keyId: string, limit: { ratePerSec: number }, signature?: { t: number; v1: string }): string[] {
  // The limit is part of the bucket's name: collectors configured with other limits (a test's, a
  // bench's) never share a bucket with the fleet's.
  const bucket = `${prefix}{${keyId}}:bucket:${limit.ratePerSec}`;
  return signature === undefined ? [bucket] : [bucket, `${prefix}{${keyId}}:sig:${signature.t}:${signature.v1}`];
}
