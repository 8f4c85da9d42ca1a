/**
 * The Redis Lua script that applies one partition batch of the real-time CTR consumer atomically:
 * the offset check, the dedup marks, the counter increments, the bucket expiries and the new offset
 * are one step, so a crash or a redelivery can never count a record twice or lose one.
 *
 * KEYS[1]  the partition's last-applied offset key
 * ARGV     first offset, last offset, floor, dedup seconds, B (buckets), C (counters),
 *          then B pairs   (bucket key, expire-at unix seconds),
 *          then C pairs   (bucket number 1..B, hash field),
 *          then one pair per counted event (dedup key, counter number 1..C)
 *
 * With S the stored offset (-1 when none):
 * - S >= first: some of the batch was applied already: nothing is done, the reply {0, S, 0} tells
 *   the caller to re-plan the records after S (a redelivery then changes nothing at all).
 * - S + 1 < first and first > floor: records in between were never applied (Redis lost writes, or
 *   the consumer read ahead): nothing is done, {2, S, 0} tells the caller to read again from S + 1.
 *   `floor` is the earliest offset the partition still has, so a range deleted by Kafka's retention
 *   is not waited for forever.
 * - otherwise each event's dedup key is SET NX EX; only a new key counts. The counters are added
 *   with one HINCRBY each, every touched bucket gets its EXPIREAT, the offset becomes `last`, and
 *   the reply is {1, counted, duplicates}.
 *
 * Offsets travel as decimal text and are compared as Lua numbers (doubles): exact below 2^53.
 * The script builds no key names and reads no clock; everything it needs is in its arguments.
 */
export const CTR_APPLY_SCRIPT = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '-1')
local first = tonumber(ARGV[1])
if stored >= first then return {0, stored, 0} end
if stored + 1 < first and first > tonumber(ARGV[3]) then return {2, stored, 0} end
local ttl = ARGV[4]
local nb = tonumber(ARGV[5])
local nc = tonumber(ARGV[6])
local cbase = 6 + 2 * nb
local ebase = cbase + 2 * nc
local counts = {}
for c = 1, nc do counts[c] = 0 end
local counted, dups = 0, 0
for i = ebase + 1, #ARGV, 2 do
  if redis.call('SET', ARGV[i], '1', 'NX', 'EX', ttl) then
    local c = tonumber(ARGV[i + 1])
    counts[c] = counts[c] + 1
    counted = counted + 1
  else
    dups = dups + 1
  end
end
local touched = {}
for c = 1, nc do
  local n = counts[c]
  if n > 0 then
    local b = tonumber(ARGV[cbase + 2 * c - 1])
    redis.call('HINCRBY', ARGV[5 + 2 * b], ARGV[cbase + 2 * c], n)
    touched[b] = true
  end
end
for b = 1, nb do
  if touched[b] then redis.call('EXPIREAT', ARGV[5 + 2 * b], ARGV[6 + 2 * b]) end
end
redis.call('SET', KEYS[1], ARGV[2])
return {1, counted, dups}
`;
