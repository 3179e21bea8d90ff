import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmCodec, ENCRYPTED_ENCODING, parsePayloadKey } from '../../../lib/temporal/codec.ts';

const text = new TextDecoder();

describe('AES-GCM payload codec', () => {
  const key = randomBytes(32);
  const codec = new AesGcmCodec(key);
  const payload = defaultPayloadConverter.toPayload({ source: 's3://logs/secret-path', n: 42 });

  it('round-trips payloads and hides their content', async () => {
    const [enc] = await codec.encode([payload]);
    expect(text.decode(enc!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(enc!.data!).toString('latin1')).not.toContain('secret-path');
    const [dec] = await codec.decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual({
      source: 's3://logs/secret-path',
      n: 42,
    });
    // A fresh nonce per payload: equal inputs give different ciphertexts.
    const [again] = await codec.encode([payload]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(enc!.data!))).toBe(false);
  });

  it('passes unencrypted payloads through and rejects a wrong key or tampering', async () => {
    expect(await codec.decode([payload])).toEqual([payload]);
    const [enc] = await codec.encode([payload]);
    await expect(new AesGcmCodec(randomBytes(32)).decode([enc!])).rejects.toThrow(
      /encrypted with key [0-9a-f]{8}, but TEMPORAL_PAYLOAD_KEY is key/,
    );
    const bad = new Uint8Array(enc!.data!);
    bad[20]! ^= 1;
    await expect(codec.decode([{ ...enc!, data: bad }])).rejects.toThrow();
  });

  it('parses keys as hex or base64 and says what is wrong otherwise', () => {
    expect(parsePayloadKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parsePayloadKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parsePayloadKey('c2hvcnQ=')).toThrow(/TEMPORAL_PAYLOAD_KEY: expected 32 bytes/);
  });
});
