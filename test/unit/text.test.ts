import { canonicalJson, codePointLength, compareText, utf8Bytes, utf8Length } from '../../core/text';

describe('text measures', () => {
  it.each([
    ['', 0, 0],
    ['abc', 3, 3],
    ['é', 1, 2],
    ['€', 1, 3],
    ['😀', 1, 4],
    ['a😀b', 3, 6],
    ['\ud800', 1, 3],
    ['\udc00x', 2, 4],
  ])('%j', (text, points, bytes) => {
    expect([codePointLength(text), utf8Length(text)]).toEqual([points, bytes]);
    expect(utf8Bytes(text).length).toBe(Buffer.byteLength(text, 'utf8'));
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });
});

describe('canonicalJson', () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: [3, { d: null, c: 'x' }] }, '{"a":[3,{"c":"x","d":null}],"b":1}'],
    [JSON.parse('{"__proto__":1,"a":2}'), '{"__proto__":1,"a":2}'],
    [[], '[]'],
    ['s"', '"s\\""'],
    [1.5, '1.5'],
    [true, 'true'],
    [null, 'null'],
  ])('%j', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('sorts by code unit, not locale', () => {
    expect(['b', 'B', 'a', 'é'].sort(compareText)).toEqual(['B', 'a', 'b', 'é']);
  });
});
