"""Image preprocessing for ImageNet classifiers (needs Pillow, which Pyodide
ships). The same code runs natively and in the browser, so the two agree."""
import io

import numpy as np

try:
    import PIL  # noqa: F401  (imported where used; checked here so the error comes at import)
except ModuleNotFoundError as e:
    raise ModuleNotFoundError(
        "wasm_infer.vision needs Pillow, which is not installed: install the extra with "
        "`pip install \"wasm-infer[vision]\"` (in Pyodide: `await micropip.install(\"Pillow\")` "
        "or `pyodide.loadPackage(\"Pillow\")`)", name=e.name) from e

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def open_rgb(image):
    """A PIL RGB image from a PIL image, a path, encoded bytes or an HxWx3 uint8 array."""
    from PIL import Image, UnidentifiedImageError
    if isinstance(image, Image.Image):
        img = image
    elif isinstance(image, np.ndarray):
        img = Image.fromarray(image)
    else:
        src = io.BytesIO(bytes(image)) if isinstance(image, (bytes, bytearray, memoryview)) else image
        try:
            img = Image.open(src)
            img.load()
        except UnidentifiedImageError:
            raise ValueError("not an image Pillow can read (PNG, JPEG, GIF, BMP, WebP, ...)") from None
    if img.mode.startswith("I;16") or (img.mode == "I" and img.getextrema()[1] > 255):
        # 16-bit grey: convert("RGB") would clip everything above 255 to white
        img = Image.fromarray((np.asarray(img, np.uint32) >> 8).astype(np.uint8))
    return img.convert("RGB")


def imagenet_preprocess(image, resize=256, crop=224):
    """→ 1×3×crop×crop float32: shorter side resized to `resize` (bilinear),
    centre crop, scaled to [0, 1], normalised by ImageNet mean/std, NCHW."""
    from PIL import Image
    img = open_rgb(image)
    w, h = img.size
    size = (resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize)
    img = img.resize(size, Image.BILINEAR)
    w, h = img.size
    left, top = int(round((w - crop) / 2)), int(round((h - crop) / 2))
    img = img.crop((left, top, left + crop, top + crop))
    x = (np.asarray(img, np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def softmax_top_k(logits, k=5):
    """[(class_id, probability)] of the k largest entries of a 1-D logits vector."""
    z = np.asarray(logits, np.float64).reshape(-1)
    p = np.exp(z - z.max())
    p /= p.sum()
    top = np.argsort(-p)[:k]
    return [(int(i), float(p[i])) for i in top]
