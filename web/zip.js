// Reading a .zip of labelled photos in the browser without a library: the
// central directory is parsed here, stored entries are sliced out, deflated
// ones go through the browser's DecompressionStream('deflate-raw'). Entries
// are read one at a time, when asked for, so a large archive is never held
// inflated in memory. What this reader refuses, it says so plainly:
// ZIP64 archives, multi-disk archives, archives whose photos would inflate
// past MAX_TOTAL_BYTES; an encrypted entry, a ZIP64 entry or an unknown
// compression method is kept with a `problem` and skipped by the caller.

export const MAX_TOTAL_BYTES = 1 << 30;     // 1 GiB of photos, inflated
export const MAX_ENTRY_BYTES = 256 << 20;   // one photo

export class ZipError extends Error {
  constructor(message) { super(message); this.name = 'ZipError'; }
}

const EOCD = 0x06054b50; const CENTRAL = 0x02014b50; const LOCAL = 0x04034b50; const ZIP64_LOCATOR = 0x07064b50;

const bytesOf = async (blob, start, end) => new DataView(await blob.slice(start, end).arrayBuffer());

let crcTable = null;
function crc32(chunks) {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = 0xffffffff;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i++) crc = crcTable[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The end-of-central-directory record: it ends the file, after a comment of up to 64 KiB. */
async function findEnd(file) {
  const tail = Math.min(file.size, 22 + 0xffff);
  const view = await bytesOf(file, file.size - tail, file.size);
  for (let i = tail - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD && i + 22 + view.getUint16(i + 20, true) <= tail) {
      const zip64 = i >= 20 && view.getUint32(i - 20, true) === ZIP64_LOCATOR;
      return { view, at: i, zip64 };
    }
  }
  throw new ZipError(`“${file.name}” is not a zip archive (no end-of-archive record)`);
}

/**
 * → [{ path, size, problem?, blob(): Promise<Blob> }] for the files of the
 * archive (folders left out). Throws ZipError when the archive as a whole
 * cannot or may not be read.
 */
export async function readZip(file, { maxTotal = MAX_TOTAL_BYTES, wanted = () => true } = {}) {
  const { view: end, at, zip64 } = await findEnd(file);
  const count = end.getUint16(at + 10, true);
  const cdSize = end.getUint32(at + 12, true);
  const cdOffset = end.getUint32(at + 16, true);
  if (zip64 || count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipError(`“${file.name}” is a ZIP64 archive, which this page does not read; make a plain zip (under 4 GiB and 65,535 files) or choose the folder instead`);
  }
  if (end.getUint16(at + 4, true) !== 0 || end.getUint16(at + 6, true) !== 0) {
    throw new ZipError(`“${file.name}” is one part of a multi-disk archive; choose a single-file zip`);
  }
  if (cdOffset + cdSize > file.size) throw new ZipError(`“${file.name}” is truncated or corrupt: its directory lies past the end of the file`);
  const cd = await bytesOf(file, cdOffset, cdOffset + cdSize);
  const names = new TextDecoder();
  const entries = [];
  let total = 0;
  for (let p = 0, i = 0; i < count; i++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== CENTRAL) throw new ZipError(`“${file.name}” is corrupt: entry ${i + 1} of its directory is damaged`);
    const flags = cd.getUint16(p + 8, true);
    const method = cd.getUint16(p + 10, true);
    const crc = cd.getUint32(p + 16, true);
    const packed = cd.getUint32(p + 20, true);
    const size = cd.getUint32(p + 24, true);
    const nameLen = cd.getUint16(p + 28, true);
    const skip = nameLen + cd.getUint16(p + 30, true) + cd.getUint16(p + 32, true);
    const local = cd.getUint32(p + 42, true);
    const path = names.decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLen));
    p += 46 + skip;
    if (path.endsWith('/') || !wanted(path)) continue;
    let problem = null;
    if (flags & 0x41 || method === 99) problem = 'encrypted (password-protected) zip entry: not read';
    else if (packed === 0xffffffff || size === 0xffffffff || local === 0xffffffff) problem = 'ZIP64 entry (over 4 GiB): not read';
    else if (method !== 0 && method !== 8) problem = `compression method ${method} (only stored and deflated entries are read)`;
    else if (size > MAX_ENTRY_BYTES) problem = `inflates to ${size} bytes, over the ${MAX_ENTRY_BYTES >> 20} MiB a photo may have`;
    else total += size;
    if (total > maxTotal) {
      throw new ZipError(`“${file.name}” would inflate to more than ${(maxTotal / 2 ** 30).toFixed(1)} GiB of photos; the page reads at most that much from one zip (split it, or choose a folder)`);
    }
    entries.push({ path, size, problem, blob: () => inflate(file, { path, method, crc, packed, size, local }) });
  }
  return entries;
}

async function inflate(file, { path, method, crc, packed, size, local }) {
  const head = await bytesOf(file, local, local + 30);
  if (head.byteLength < 30 || head.getUint32(0, true) !== LOCAL) throw new ZipError(`zip entry “${path}” is corrupt (no local header)`);
  const start = local + 30 + head.getUint16(26, true) + head.getUint16(28, true);
  if (start + packed > file.size) throw new ZipError(`zip entry “${path}” is truncated`);
  const raw = file.slice(start, start + packed);
  const chunks = [];
  if (method === 0) {
    chunks.push(new Uint8Array(await raw.arrayBuffer()));
  } else {
    // Inflate chunk by chunk and stop as soon as the output passes the size
    // the directory declared: a lying entry cannot balloon in memory.
    const reader = raw.stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
    let n = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.length;
        if (n > size) throw new ZipError(`zip entry “${path}” inflates past the ${size} bytes its directory declares`);
        chunks.push(value);
      }
    } catch (err) {
      reader.cancel().catch(() => {});
      throw err instanceof ZipError ? err : new ZipError(`zip entry “${path}” is corrupt: ${err.message}`);
    }
  }
  const n = chunks.reduce((a, c) => a + c.length, 0);
  if (n !== size) throw new ZipError(`zip entry “${path}” has ${n} bytes, not the ${size} its directory declares`);
  if (crc32(chunks) !== crc) throw new ZipError(`zip entry “${path}” is corrupt (checksum mismatch)`);
  return new Blob(chunks);
}
