// Image preprocessing for ImageNet classifiers on a canvas, the browser twin
// of wasm_infer.vision.imagenet_preprocess: shorter side resized to `resize`,
// centre crop `crop`×`crop`, RGB scaled to [0, 1], normalised with the
// ImageNet mean/std, NCHW float32. The crop rectangle is computed exactly as
// the Python code does (integer resized size, rounded crop offsets) and
// mapped back onto the source image, so one drawImage call resizes and crops.

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

export class ImageDecodeError extends Error {
  constructor(name, cause) {
    super(`“${name}” is not an image this browser can open`);
    this.name = 'ImageDecodeError';
    this.cause = cause;
  }
}

/** Decode a File/Blob into an ImageBitmap without colour management (as Pillow reads the pixels). */
export async function decodeImage(blob, name = blob.name ?? 'image') {
  try {
    return await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
  } catch (err) {
    throw new ImageDecodeError(name, err);
  }
}

/** The source rectangle [sx, sy, sw, sh] that resize-then-centre-crop takes from a w×h image. */
export function cropRect(w, h, resize = 256, crop = 224) {
  // Same integer sizes as Python's int(resize * h / w) etc.
  const [rw, rh] = w <= h ? [resize, Math.trunc((resize * h) / w)] : [Math.trunc((resize * w) / h), resize];
  const left = pyRound((rw - crop) / 2);
  const top = pyRound((rh - crop) / 2);
  const sx = w / rw; const sy = h / rh;
  return [left * sx, top * sy, crop * sx, crop * sy];
}

// Python's round(): halves to even.
function pyRound(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * → { data: Float32Array (1×3×crop×crop), dims, canvas } — `canvas` shows the
 * model's view (the crop) and can be put on the page.
 */
export function imagenetTensor(bitmap, { resize = 256, crop = 224, canvas } = {}) {
  const c = canvas ?? document.createElement('canvas');
  c.width = crop; c.height = crop;
  const ctx = c.getContext('2d', { alpha: false, willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';       // area-averaging downscale, like Pillow's antialiased bilinear
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, crop, crop);
  const [sx, sy, sw, sh] = cropRect(bitmap.width, bitmap.height, resize, crop);
  ctx.drawImage(bitmap, sx, sy, sw, sh, 0, 0, crop, crop);
  const rgba = ctx.getImageData(0, 0, crop, crop).data;
  const plane = crop * crop;
  const data = new Float32Array(3 * plane);
  for (let ch = 0; ch < 3; ch++) {
    const scale = 1 / (255 * IMAGENET_STD[ch]);
    const shift = IMAGENET_MEAN[ch] / IMAGENET_STD[ch];
    const out = ch * plane;
    for (let i = 0; i < plane; i++) data[out + i] = rgba[4 * i + ch] * scale - shift;
  }
  return { data, dims: [1, 3, crop, crop], canvas: c };
}

/** Softmax (unless the values already are probabilities) and the k best [{ index, prob }]. */
export function topK(values, k = 5) {
  const v = Array.from(values, Number);
  const sum = v.reduce((a, b) => a + b, 0);
  const isProb = v.every((x) => x >= 0 && x <= 1) && Math.abs(sum - 1) < 1e-3;
  let p = v;
  if (!isProb) {
    const max = v.reduce((a, b) => (b > a ? b : a), -Infinity);
    const e = v.map((x) => Math.exp(x - max));
    const s = e.reduce((a, b) => a + b, 0);
    p = e.map((x) => x / s);
  }
  return p.map((prob, index) => ({ index, prob })).sort((a, b) => b.prob - a.prob).slice(0, k);
}
