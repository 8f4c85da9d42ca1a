import { isEmailAddress, isIPv4, isIPv6, isIpAddress } from '../../core/addresses';

describe('IP addresses', () => {
  it.each<[string, 'v4' | 'v6' | false]>([
    ['0.0.0.0', 'v4'],
    ['192.0.2.1', 'v4'],
    ['255.255.255.255', 'v4'],
    ['256.1.1.1', false],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['01.2.3.4', false],
    ['1.2.3.4 ', false],
    ['::', 'v6'],
    ['::1', 'v6'],
    ['1::', 'v6'],
    ['2001:db8::ff00:42:8329', 'v6'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', 'v6'],
    ['FE80::1', 'v6'],
    ['::ffff:192.0.2.1', 'v6'],
    ['64:ff9b::192.0.2.33', 'v6'],
    ['1:2:3:4:5:6:192.0.2.1', 'v6'],
    ['1:2:3:4:5:6:7:8', 'v6'],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1:2:3:4:5:6:7', false],
    ['1:2:3:4:5:6:7::8', false],
    ['1::2::3', false],
    [':1::2', false],
    ['1:::2', false],
    ['12345::', false],
    ['g::1', false],
    ['192.0.2.1::', false],
    ['::192.0.2.1:1', false],
    ['::ffff:300.0.2.1', false],
    ['fe80::1%eth0', false],
    ['', false],
  ])('%j', (text, kind) => {
    expect([isIPv4(text), isIPv6(text), isIpAddress(text)]).toEqual([kind === 'v4', kind === 'v6', kind !== false]);
  });
});

describe('email addresses', () => {
  it.each<[string, boolean]>([
    ['a@b.co', true],
    ['first.last+tag@mail.example.co.uk', true],
    ['用户@例子.广告', true],
    ['a@b', false],
    ['a@b.', false],
    ['a@.b.c', false],
    ['a@b..c', false],
    ['@b.c', false],
    ['a b@c.d', false],
    ['a@b@c.d', false],
    [`${'l'.repeat(65)}@b.co`, false],
    [`${'l'.repeat(64)}@${'d'.repeat(185)}.com`, true],
    [`${'l'.repeat(64)}@${'d'.repeat(186)}.com`, false],
  ])('%j', (text, ok) => {
    expect(isEmailAddress(text)).toBe(ok);
  });
});
