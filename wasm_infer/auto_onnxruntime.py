"""`import wasm_infer.auto_onnxruntime` makes `import onnxruntime` give
wasm_infer.onnxruntime (the opt-in for Pyodide and JupyterLite, where there is
no onnxruntime package; it works natively too). Import it before the code that
imports onnxruntime."""
from . import install_as_onnxruntime

install_as_onnxruntime()
