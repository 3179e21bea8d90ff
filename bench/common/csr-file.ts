import { writeFileSync } from 'node:fs';
import type { Csr } from '../../lib/eval/index.ts';

/**
 * A user x item CSR as the Python reference scripts read it (bench/common/csr_file.py):
 * int32 nUsers, nItems, nnz, then indptr (nUsers + 1) and indices (nnz), little-endian.
 */
export function writeCsrFile(path: string, nUsers: number, nItems: number, csr: Csr): void {
  const nnz = csr.indptr[nUsers]!;
  const head = Int32Array.of(nUsers, nItems, nnz);
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from(head.buffer),
      Buffer.from(csr.indptr.buffer, csr.indptr.byteOffset, 4 * (nUsers + 1)),
      Buffer.from(csr.indices.buffer, csr.indices.byteOffset, 4 * nnz),
    ]),
  );
}
