"""Graph passes. Each module here defines `apply(graph, ctx) -> bool` (True if
it changed the graph); `PIPELINE` fixes their order. A pass can be switched off
by name with WASM_INFER_DISABLE_PASSES=name,name (for debugging and for tests
that compare a graph before and after a pass)."""
import os

from . import (eliminate_identity, eliminate_noops, fold_batchnorm, fold_constants, fuse_conv_activation,
               fuse_matmul_bias, fuse_pad_conv, to_nhwc)
from ._util import drop_unused_initializers

PIPELINE = (
    ("fold_constants", fold_constants.apply),
    ("eliminate_identity", eliminate_identity.apply),
    ("eliminate_noops", eliminate_noops.apply),
    ("fuse_pad_conv", fuse_pad_conv.apply),
    ("fold_batchnorm", fold_batchnorm.apply),
    ("fuse_matmul_bias", fuse_matmul_bias.apply),
    ("fuse_conv_activation", fuse_conv_activation.apply),
    ("to_nhwc", to_nhwc.apply),
)


def optimize(graph, ctx, disabled=None):
    """Run the pipeline once over `graph`; returns the names of the passes that changed it."""
    if disabled is None:
        disabled = {p for p in os.environ.get("WASM_INFER_DISABLE_PASSES", "").split(",") if p}
    changed = [name for name, apply in PIPELINE if name not in disabled and apply(graph, ctx)]
    if changed:
        drop_unused_initializers(graph)
    return changed
