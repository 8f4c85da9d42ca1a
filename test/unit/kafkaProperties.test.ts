import { parseConfig } from '../../core/config';
import { kafkaServerProperties } from '../../infra/services/kafka';

describe('kafkaServerProperties', () => {
  it('configures a single KRaft node on loopback with topics created only on purpose', () => {
    const props = kafkaServerProperties(parseConfig({}, '/h').kafka, '/state/kafka/data');
    const map = Object.fromEntries(
      props
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(map).toEqual(
      expect.objectContaining({
        'process.roles': 'broker,controller',
        'controller.quorum.voters': '1@127.0.0.1:9093',
        listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
        'advertised.listeners': 'PLAINTEXT://127.0.0.1:9092',
        'log.dirs': '/state/kafka/data',
        'auto.create.topics.enable': 'false',
        'offsets.topic.replication.factor': '1',
      }),
    );
  });
});
