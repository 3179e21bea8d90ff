/**
 * A self-describing binary for training state (checkpoints): a JSON header, then named
 * float32 arrays back to back. Exact: resuming from it repeats the uninterrupted run.
 */
const MAGIC = 'RSAS1';

export function packState(header: Record<string, unknown>, arrays: Record<string, Float32Array>) {
  const names = Object.keys(arrays);
  const head = new TextEncoder().encode(
    JSON.stringify({ ...header, arrays: names.map((n) => [n, arrays[n]!.length]) }),
  );
  // Magic, header length, header, padding to 4 bytes, arrays.
  const start = Math.ceil((MAGIC.length + 4 + head.length) / 4) * 4;
  const total = start + names.reduce((s, n) => s + arrays[n]!.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length, true);
  out.set(head, MAGIC.length + 4);
  let off = start;
  for (const n of names) {
    const a = arrays[n]!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

export function unpackState(bytes: Uint8Array): {
  header: Record<string, unknown>;
  arrays: Record<string, Float32Array>;
} {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC)
    throw new Error('not a training checkpoint (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len)),
  ) as Record<string, unknown> & { arrays: [string, number][] };
  let off = Math.ceil((MAGIC.length + 4 + len) / 4) * 4;
  const arrays: Record<string, Float32Array> = {};
  for (const [name, n] of header.arrays) {
    if (off + n * 4 > bytes.byteLength) throw new Error(`checkpoint truncated at array ${name}`);
    // Copied (not `slice`: on a Node Buffer that is a view of a shared pool).
    const copy = new Uint8Array(n * 4);
    copy.set(bytes.subarray(off, off + n * 4));
    arrays[name] = new Float32Array(copy.buffer);
    off += n * 4;
  }
  return { header, arrays };
}
