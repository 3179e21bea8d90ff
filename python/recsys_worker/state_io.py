"""lib/training/train-state.ts's self-describing binary (checkpoints, the CFGAN generator):
magic `RSAS1`, a little-endian uint32 header length, a JSON header naming the arrays and
their lengths, padding to 4 bytes, then the float32 arrays back to back. The same bytes on
both sides, so a checkpoint written by one worker resumes on the other.
"""

import json
import struct

import numpy as np

MAGIC = b"RSAS1"


class BadArtifact(ValueError):
    """A file that is not what its reader expects: bad input, never worth a retry."""


def pack_state(header: dict, arrays: dict) -> bytes:
    names = list(arrays)
    head = json.dumps(
        {**header, "arrays": [[n, int(np.asarray(arrays[n]).size)] for n in names]},
        separators=(",", ":"),
    ).encode()
    start = -(-(len(MAGIC) + 4 + len(head)) // 4) * 4
    parts = [MAGIC, struct.pack("<I", len(head)), head, b"\0" * (start - len(MAGIC) - 4 - len(head))]
    for n in names:
        parts.append(np.ascontiguousarray(arrays[n], dtype="<f4").tobytes())
    return b"".join(parts)


def unpack_state(data: bytes) -> tuple[dict, dict]:
    if data[: len(MAGIC)] != MAGIC:
        raise BadArtifact("not a training checkpoint (bad magic)")
    (length,) = struct.unpack_from("<I", data, len(MAGIC))
    header = json.loads(data[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
    off = -(-(len(MAGIC) + 4 + length) // 4) * 4
    arrays = {}
    for name, n in header["arrays"]:
        if off + n * 4 > len(data):
            raise BadArtifact(f"checkpoint truncated at array {name}")
        arrays[name] = np.frombuffer(data, dtype="<f4", count=n, offset=off).copy()
        off += n * 4
    return header, arrays
