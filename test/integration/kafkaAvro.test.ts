import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Partitioners, type Consumer, type Producer } from 'kafkajs';
import { createKafka } from '../../activities/clients';
import { stackConfig, uniqueName } from '../support/stack';

const schema = {
  type: 'record',
  name: 'Probe',
  namespace: 'dev.clicklake.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'n', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};

describe('Kafka with the schema registry', () => {
  const config = stackConfig();
  const kafka = createKafka(config.kafka, { clientId: 'clicklake-test' });
  const registry = new SchemaRegistry({ host: config.schemaRegistry.url });
  const topic = uniqueName('test.avro');
  const subject = `${topic}-value`;
  const admin = kafka.admin();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await consumer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await fetch(`${config.schemaRegistry.url}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('produces a record in the Confluent wire format and consumes it decoded through the registry', async () => {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const value = { id: 'evt-1', n: 42, tags: ['a', 'b'] };
    const encoded = await registry.encode(id, value);
    // Confluent framing: magic byte 0, then the 4-byte big-endian schema id, then the Avro body.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      createPartitioner: Partitioners.DefaultPartitioner,
      // An idempotent producer keeps retrying (a limit would weaken its guarantees); jest's timeout bounds the test.
      retry: { retries: Number.MAX_SAFE_INTEGER },
    });
    await producer.connect();
    const [ack] = await producer.send({ topic, acks: -1, messages: [{ key: 'user-1', value: encoded }] });
    expect(ack?.errorCode).toBe(0);

    consumer = kafka.consumer({ groupId: uniqueName('test-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 30 s')), 30_000);
      void consumer!.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve({ key: message.key!.toString(), value: await registry.decode(message.value!) });
        },
      });
    });
    expect(received).toEqual({ key: 'user-1', value });
  }, 60_000);
});
