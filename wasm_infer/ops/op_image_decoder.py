import io

import numpy as np

from ..errors import InputError, UnsupportedError
from ..limits import check_output
from .base import Op, register


@register("ImageDecoder", since=20)
class ImageDecoder(Op):
    """Decodes an encoded image (1-D uint8 bytes: JPEG, PNG, BMP, TIFF, WebP,
    PNM, JPEG 2000 as the Pillow build supports) to uint8 (H, W, C): C = 3
    for RGB/BGR, 1 for Grayscale. Pillow is imported on first use: Pyodide
    ships it as a separate package."""

    def init(self):
        self.pixel_format = self.attr("pixel_format", "RGB")
        if self.pixel_format not in ("RGB", "BGR", "Grayscale"):
            raise UnsupportedError(f"node {self.node.name!r} (ImageDecoder): pixel_format "
                                   f"{self.pixel_format!r} is not RGB, BGR or Grayscale")

    def run(self, encoded):
        try:
            from PIL import Image
        except ImportError:
            raise UnsupportedError("ImageDecoder needs Pillow (pip install pillow; in Pyodide: "
                                   "await pyodide.loadPackage('pillow'))") from None
        try:
            img = Image.open(io.BytesIO(np.ascontiguousarray(encoded, np.uint8).tobytes()))
        except Exception as e:  # noqa: BLE001 (Pillow raises several types for bad data)
            raise InputError(f"node {self.node.name!r} (ImageDecoder): cannot decode the image: {e}") from None
        # the header says the size: a few kB of PNG can decode to GiBs (checked before decoding)
        width, height = img.size
        check_output(self, (height, width, 1 if self.pixel_format == "Grayscale" else 3), 1)
        try:
            img.load()
        except Exception as e:  # noqa: BLE001
            raise InputError(f"node {self.node.name!r} (ImageDecoder): cannot decode the image: {e}") from None
        if self.pixel_format == "Grayscale":
            return (np.asarray(img.convert("L"), np.uint8)[:, :, None],)
        rgb = np.asarray(img if img.mode == "RGB" else img.convert("RGB"), np.uint8)
        return (np.ascontiguousarray(rgb[:, :, ::-1]) if self.pixel_format == "BGR" else rgb,)
