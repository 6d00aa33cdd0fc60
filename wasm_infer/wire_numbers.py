"""The numbers of the protobuf wire format: varints one at a time, packed
runs of them as Python ints, and bulk tensor data decoded with numpy (8
bytes per value instead of a Python int each). Every read is bounded by the
end of its field; a corrupt or truncated run raises ModelError."""
import numpy as np

from .errors import ModelError


def varint(buf, pos, end):
    result = shift = 0
    while True:
        if pos >= end:
            raise ModelError("truncated model: a varint runs past the end of its message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ModelError("corrupt model: a varint is longer than 10 bytes")


def signed(v):
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def packed_varints(buf, pos, end, is_signed):
    out = []
    while pos < end:
        v, pos = varint(buf, pos, end)
        out.append(signed(v) if is_signed else v)
    return out


def bulk_varints(buf, pos, end, is_signed):
    """The varints of buf[pos:end] as one array, int64 if is_signed, else uint64,
    decoded with numpy: bits above 64 are dropped, as protobuf does."""
    a = np.frombuffer(buf, np.uint8, count=end - pos, offset=pos)
    if a.size == 0:
        return np.zeros(0, np.int64 if is_signed else np.uint64)
    last = a < 0x80
    if not last[-1]:
        raise ModelError("truncated model: a packed varint runs past the end of its field")
    ends = np.flatnonzero(last)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    longest = int(lengths.max())
    if longest > 10:
        raise ModelError("corrupt model: a varint is longer than 10 bytes")
    values = np.zeros(ends.size, np.uint64)
    for j in range(longest):
        sel = lengths > j if j else slice(None)
        values[sel] |= (a[starts[sel] + j] & 0x7F).astype(np.uint64) << np.uint64(7 * j)
    return values.view(np.int64) if is_signed else values


def int_values(chunks, dtype=np.int64):
    """A BULK_INT / BULK_UINT field (list of arrays and ints) as one array of `dtype`
    (values wrap to the width of `dtype`, as a C cast would)."""
    if not chunks:
        return np.zeros(0, dtype)
    if all(isinstance(c, np.ndarray) for c in chunks):
        parts = chunks
    else:
        parts, ints = [], []
        for c in chunks:
            if isinstance(c, np.ndarray):
                if ints:
                    parts.append(np.array(ints, np.uint64).view(np.int64))
                    ints = []
                parts.append(c)
            else:
                ints.append(c & 0xFFFFFFFFFFFFFFFF)
        if ints:
            parts.append(np.array(ints, np.uint64).view(np.int64))
    out = parts[0] if len(parts) == 1 else np.concatenate([p.view(np.int64) for p in parts])
    return out.astype(dtype, copy=True, casting="unsafe")
