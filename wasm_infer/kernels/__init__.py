"""The WebAssembly SIMD kernels (kernels_wasm/ built into side modules), seen from Python.

Only under Pyodide: the side module is loaded with `ctypes.CDLL` and called on
numpy buffers in Pyodide's own heap (pointers = `arr.ctypes.data`, zero
copies). Anywhere else, or when something is missing, `available()` is False
and callers use their NumPy implementations; `reason()` says why.

Modules (each docstring has the details):
  loader       feature detection (SIMD128, relaxed SIMD), the module and its
               generated symbol table (`_kernels.json`), `available()`,
               `flavour()` ("relaxed", "simd128" or "numpy"), `reason()`,
               `raw()`, `reload()`, and the WASM_INFER_* environment switches.
  checks       the argument checks every binder runs, and the runners.
  packing      weights packed once, at session creation: pack_gemm,
               pack_conv2d_nhwc, pack_conv2d_nhwc_winograd.
  matmul, conv, winograd, deconv, elementwise, pooling, softmax, normalization,
  rnn
               the binders of each kernel family.

API for the graph (float32 unless said otherwise; shapes checked once, at bind time):
bind_*() validate dtypes, layouts, shapes and overlaps once (raising
ValueError), precompute the ctypes argument tuples and return a zero-argument
callable that runs the kernel on those very arrays (it keeps them alive;
~1 us per call in Node, plus a few calls for grouped convs). Re-bind when a
buffer changes. `out` never overlaps an input unless said otherwise. lo/hi is
the fused clamp (ReLU = (0, inf), ReLU6/Clip = (lo, hi)); NaN propagates.
  bind_gemm_packed, bind_conv2d_nhwc, bind_conv2d_nhwc_winograd, bind_unary,
  bind_binary, bind_global_avg_pool_nhwc, bind_pool2d_nhwc, bind_softmax,
  bind_layernorm, bind_conv_transpose_nhwc (with pack_conv_transpose_nhwc), bind_lstm_cell,
  bind_lstm_steps (an LSTM direction's recurrence: packed GEMM and cell per step);
  int8 (qs8.py): bind_qs8_conv2d_nhwc with pack_qs8_conv2d_nhwc and qs8_params;
  (qs8_vector.py): bind_qs8_add with qs8_add_params, bind_qs8_quantize with qs8_quantize_params,
  bind_qs8_dequantize with qs8_dequantize_params;
  (dynamic_quant.py): bind_qu8_quantize_dynamic, bind_qu8_gemm with pack_qu8_gemm;
  (quant_rnn.py): bind_qu8_lstm_steps (DynamicQuantizeLSTM's recurrence);
  (replace_nan.py): bind_replace_nan (Where(IsNaN(x), c, x), the guard after an attention Softmax);
  (transpose.py): bind_transpose (any axis permutation that folds into 4 axes, 4-byte and 1-byte dtypes);
  kept for the NCHW path: gemm / bind_gemm (B unpacked, row-major),
  conv2d_nchw / bind_conv2d_nchw.

No kernel reads or writes outside the buffers described above (no
over-reads: partial vector loads at every edge; packed weights are
zero-padded by the pack functions).

This package imports nothing from wasm_infer (only relative imports), so it
can also be loaded on its own, under any name.
"""

# Tuning knobs, read by the binders at bind time from this package (tests lower them).
# The indirect GEMM gathers mb output pixels' taps (mb rows of KH*KW*Cg floats)
# into a scratch buffer per chunk: about IGEMM_SCRATCH_FLOATS floats (1 MiB:
# L2-sized), at least IGEMM_MIN_ROWS rows, a multiple of 4 (the tile's MR).
# Each chunk streams all the weights once, so ResNet-18's layer4 (9.4 MB of
# weights, 49 pixels) wants one chunk: 32 KiB chunks made that 3x3 conv 9.8 ms
# in the model, 1 MiB 7.3 ms (2 MiB: no better).
IGEMM_SCRATCH_FLOATS = 262144
IGEMM_MIN_ROWS = 4
# Tiles per chunk of the Winograd conv: scratch holds 16 * tiles * (C + M)
# floats, about this many (1 MiB), at least 4 tiles.
WINOGRAD_SCRATCH_FLOATS = 262144

from .checks import conv_output_hw, params  # noqa: E402 (after the knobs the binders read)
from .conv import bind_conv2d_nchw, bind_conv2d_nhwc, conv2d_nchw, igemm_rows  # noqa: E402
from .deconv import bind_conv_transpose_nhwc, pack_conv_transpose_nhwc  # noqa: E402
from .elementwise import BINARY_OPS, UNARY_OPS, binary_geometry, bind_binary, bind_unary  # noqa: E402
from .matmul import bind_gemm, bind_gemm_packed, gemm  # noqa: E402
from .loader import (ABI_VERSION, RELAXED_NAME, TABLE_NAME, _State, available, default_path,  # noqa: E402
                     flavour, raw, read_table, reason, relaxed_path, reload, table_path)
from .normalization import bind_layernorm  # noqa: E402
from .packing import GEMM_NR, pack_conv2d_nhwc, pack_conv2d_nhwc_winograd, pack_gemm  # noqa: E402
from .qs8 import bind_qs8_conv2d_nhwc, pack_qs8_conv2d_nhwc, qs8_params  # noqa: E402
from .qs8_vector import (bind_qs8_add, bind_qs8_dequantize, bind_qs8_quantize, qs8_add_params,  # noqa: E402
                         qs8_dequantize_params, qs8_quantize_params)
from .dynamic_quant import bind_qu8_gemm, bind_qu8_quantize_dynamic, pack_qu8_gemm  # noqa: E402
from .rnn import bind_lstm_cell, bind_lstm_steps  # noqa: E402
from .quant_rnn import bind_qu8_lstm_steps  # noqa: E402
from .pooling import bind_global_avg_pool_nhwc, bind_pool2d_nhwc  # noqa: E402
from .softmax import bind_softmax  # noqa: E402
from .replace_nan import bind_replace_nan  # noqa: E402
from .transpose import TRANSPOSE_KERNELS, bind_transpose, folded_transpose  # noqa: E402
from .winograd import WINOGRAD_MIN_CHANNELS, bind_conv2d_nhwc_winograd, winograd_applies  # noqa: E402

__all__ = [
    "ABI_VERSION", "BINARY_OPS", "GEMM_NR", "IGEMM_MIN_ROWS", "IGEMM_SCRATCH_FLOATS", "RELAXED_NAME", "TABLE_NAME",
    "UNARY_OPS", "WINOGRAD_MIN_CHANNELS", "WINOGRAD_SCRATCH_FLOATS", "available", "binary_geometry", "bind_binary",
    "bind_conv2d_nchw", "bind_conv2d_nhwc", "bind_conv_transpose_nhwc", "bind_conv2d_nhwc_winograd", "bind_gemm",
    "bind_gemm_packed",
    "bind_global_avg_pool_nhwc", "bind_layernorm", "bind_lstm_cell", "bind_qs8_add", "bind_qs8_conv2d_nhwc",
    "bind_qs8_dequantize", "bind_qs8_quantize",
    "bind_pool2d_nhwc", "bind_softmax",
    "bind_unary", "conv2d_nchw",
    "conv_output_hw", "default_path", "flavour", "gemm", "igemm_rows", "pack_conv2d_nhwc",
    "pack_conv2d_nhwc_winograd", "pack_conv_transpose_nhwc", "pack_gemm", "pack_qs8_conv2d_nhwc",
    "params", "qs8_add_params", "qs8_dequantize_params", "qs8_params", "qs8_quantize_params", "raw", "read_table",
    "reason",
    "relaxed_path", "reload", "table_path",
]
__all__ += ["bind_qu8_gemm", "bind_qu8_quantize_dynamic", "pack_qu8_gemm"]
__all__ += ["bind_lstm_steps", "bind_qu8_lstm_steps"]
__all__ += ["bind_replace_nan"]
__all__ += ["TRANSPOSE_KERNELS", "bind_transpose", "folded_transpose"]
