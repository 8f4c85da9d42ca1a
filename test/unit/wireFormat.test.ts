import { frame, unframe } from '../../core/wireFormat';

describe('Confluent wire format', () => {
  it('frames and unframes a body with its schema id', () => {
    const framed = frame(258, Uint8Array.from([7, 8, 9]));
    expect([...framed]).toEqual([0, 0, 0, 1, 2, 7, 8, 9]);
    const out = unframe(framed);
    expect(out.ok && { schemaId: out.schemaId, body: [...out.body] }).toEqual({ schemaId: 258, body: [7, 8, 9] });
  });

  it.each([
    [null, 'value: null (tombstone)'],
    [Buffer.from([0, 0, 1]), 'value: 3 bytes, shorter than the 5-byte header'],
    [Buffer.from('{"json":true}'), 'value: magic byte 123, expected 0'],
  ])('refuses %j', (value, reason) => {
    expect(unframe(value)).toEqual({ ok: false, reason });
  });

  it('refuses schema ids that do not fit the header', () => {
    expect(() => frame(-1, new Uint8Array())).toThrow('schema id -1 out of range');
  });
});
