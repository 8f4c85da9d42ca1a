import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3 } from '../../activities/clients';
import { stackConfig, uniqueName } from '../support/stack';

describe('S3 (MinIO)', () => {
  const config = stackConfig();
  const s3 = createS3(config.s3);
  const prefix = `test/${uniqueName('s3')}/`;

  afterAll(() => s3.destroy());

  it('puts, lists, gets and deletes an object in the lake bucket', async () => {
    const key = `${prefix}hello.json`;
    const body = JSON.stringify({ hello: 'lake', n: 42 });
    await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: body, ContentType: 'application/json' }));

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.s3.bucket, Prefix: prefix }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[key, Buffer.byteLength(body)]]);

    const got = await s3.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe(body);

    await s3.send(new DeleteObjectCommand({ Bucket: config.s3.bucket, Key: key }));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: config.s3.bucket, Prefix: prefix }));
    expect(after.KeyCount).toBe(0);
  });
});
