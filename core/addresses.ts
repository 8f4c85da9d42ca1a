/**
 * Plausibility checks for address fields of an event. Hand-written rather than node:net so core stays
 * free of Node modules; they accept what a client library would normally send and nothing looser.
 */

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Dotted quad, each part 0-255 without leading zeros (a leading zero means octal to some parsers). */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * RFC 4291 text form: eight groups of 1-4 hex digits, one `::` standing for one or more zero groups,
 * optionally an IPv4 tail (`::ffff:192.0.2.1`). Zone ids (`%eth0`) are local to a host and refused.
 */
export function isIPv6(text: string): boolean {
  if (text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  let count = 0;
  for (const [i, group] of groups.entries()) {
    const last = i === groups.length - 1;
    if (last && group.includes('.') && text.endsWith(group)) {
      if (!isIPv4(group)) return false;
      count += 2;
    } else if (IPV6_GROUP.test(group)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isIpAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** RFC 5321's limit on a whole address. */
export const MAX_EMAIL_LENGTH = 254;
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(?:\.[^\s@.]+)+$/;

/** local@domain.tld: no spaces, one @, a dotted domain without empty labels, at most 254 characters. */
export function isEmailAddress(text: string): boolean {
  return text.length <= MAX_EMAIL_LENGTH && EMAIL.test(text);
}
