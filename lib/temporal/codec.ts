/**
 * Optional encryption of everything the pipeline puts into Temporal (workflow inputs and
 * results, activity arguments and results, heartbeat details, query answers): AES-256-GCM
 * with a key from the environment (TEMPORAL_PAYLOAD_KEY, 32 bytes as base64 or hex). The
 * Temporal server and anyone reading its database or UI see only ciphertext; clients and
 * workers holding the key decode transparently. A random 12-byte nonce per payload; the
 * key id (first 8 hex chars of its sha256) is stored so a wrong key fails loudly.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ValueError } from '@temporalio/common';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Parses a 32-byte key given as base64 or hex; throws a message naming the variable. */
export function parsePayloadKey(text: string, variable = 'TEMPORAL_PAYLOAD_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32)
    throw new Error(`${variable}: expected 32 bytes as base64 or 64 hex characters (AES-256)`);
  return key;
}

export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class AesGcmCodec implements PayloadCodec {
  private readonly id: string;

  constructor(private readonly key: Buffer) {
    this.id = keyId(key);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
      const plain = Buffer.from(encodePayload(p));
      const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: utf8.encode(ENCRYPTED_ENCODING),
          'encryption-key-id': utf8.encode(this.id),
        },
        data: new Uint8Array(Buffer.concat([nonce, body])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? fromUtf8.decode(p.metadata.encoding) : '';
      if (encoding !== ENCRYPTED_ENCODING) return p;
      const id = p.metadata?.['encryption-key-id']
        ? fromUtf8.decode(p.metadata['encryption-key-id'])
        : '?';
      if (id !== this.id)
        throw new ValueError(
          `payload was encrypted with key ${id}, but TEMPORAL_PAYLOAD_KEY is key ${this.id}`,
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([
        decipher.update(data.subarray(12, data.length - 16)),
        decipher.final(),
      ]);
      return decodePayload(plain);
    });
  }
}

/** A payload as bytes: u32 length + JSON of its metadata (base64 values), then raw data. */
function encodePayload(p: Payload): Uint8Array {
  const meta = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  );
  const head = Buffer.from(JSON.stringify(meta));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, p.data ?? new Uint8Array()]);
}

function decodePayload(bytes: Buffer): Payload {
  const n = bytes.readUInt32LE(0);
  const meta = JSON.parse(bytes.subarray(4, 4 + n).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(
      Object.entries(meta).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(bytes.subarray(4 + n)),
  };
}

/** The codecs for a settings object: encryption when a key is configured, else none. */
export function payloadCodecs(payloadKey: string | undefined): PayloadCodec[] {
  return payloadKey ? [new AesGcmCodec(parsePayloadKey(payloadKey))] : [];
}
