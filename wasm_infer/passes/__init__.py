"""Graph passes. Each module here defines `apply(graph, ctx) -> bool` (True if
it changed the graph); `PIPELINE` fixes their order. A pass can be switched off
by name with WASM_INFER_DISABLE_PASSES=name,name (for debugging and for tests
that compare a graph before and after a pass)."""
import os

from . import eliminate_identity, fold_constants, fuse_conv_activation, fuse_pad_conv

PIPELINE = (
    ("fold_constants", fold_constants.apply),
    ("eliminate_identity", eliminate_identity.apply),
    ("fuse_pad_conv", fuse_pad_conv.apply),
    ("fuse_conv_activation", fuse_conv_activation.apply),
)


def optimize(graph, ctx, disabled=None):
    """Run the pipeline once over `graph`; returns the names of the passes that changed it."""
    if disabled is None:
        disabled = {p for p in os.environ.get("WASM_INFER_DISABLE_PASSES", "").split(",") if p}
    return [name for name, apply in PIPELINE if name not in disabled and apply(graph, ctx)]
