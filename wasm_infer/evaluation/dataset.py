"""Where evaluate() takes its labelled photos from: a folder of class folders,
a list of (path or bytes, label) pairs, a CSV file, or a regression set saved
by Report.regression_set(). Photos are read one at a time, when evaluated."""
import base64
import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

REGRESSION_FORMAT = "wasm_infer-regression-set"


@dataclass
class Item:
    name: str        # unique within the dataset: how reports and compare() refer to the photo
    label: object    # the dataset's label (a folder name, a CSV cell, a class number)
    source: object   # a path, or the encoded image's bytes

    def read(self):
        if isinstance(self.source, (bytes, bytearray, memoryview)):
            return bytes(self.source)
        with open(self.source, "rb") as f:
            return f.read()


def load(images):
    """→ (items, meta): the photos with their labels, and what the dataset says
    about itself (a regression set carries its labels and the earlier predictions)."""
    if isinstance(images, (str, os.PathLike)):
        path = Path(images)
        if path.is_dir():
            return _folder(path), {}
        if not path.is_file():
            raise InputError(f"images: {path} is neither a folder nor a file")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _csv(path), {}
        if suffix == ".json":
            return _regression_set(path)
        raise InputError(f"images: {path} is a {suffix or 'suffix-less'} file; expected a folder of class "
                         "folders, a .csv of path,label rows or a .json regression set")
    if isinstance(images, (list, tuple)):
        return _pairs(images), {}
    raise InputError(f"images: expected a folder, a CSV or JSON path, or a list of (path, label) pairs, "
                     f"got {type(images).__name__}")


def _folder(root):
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise InputError(f"images: {root} has no class folders (expected one subfolder per class, "
                         "named after it, holding its photos)")
    items = []
    for cls in classes:
        for f in sorted(cls.rglob("*")):
            if f.is_file() and not any(part.startswith(".") for part in f.relative_to(root).parts):
                items.append(Item(f.relative_to(root).as_posix(), cls.name, f))
    if not items:
        raise InputError(f"images: the class folders of {root} hold no files "
                         f"({', '.join(c.name for c in classes[:10])})")
    return items


def _pairs(pairs, names=None):
    """names: how to call each photo (default: its path, or #index for bytes)."""
    items, seen = [], {}
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise InputError(f"images[{i}]: expected a (path or bytes, label) pair, got {type(pair).__name__}")
        src, label = pair
        if isinstance(src, (bytes, bytearray, memoryview)):
            name = f"#{i}"
        elif isinstance(src, (str, os.PathLike)):
            name = os.fspath(src)
        else:
            raise InputError(f"images[{i}]: expected a path or the image's bytes, got {type(src).__name__}")
        if names is not None:
            name = names[i]
        if name in seen:        # the same photo twice: both are evaluated, under distinct names
            seen[name] += 1
            name = f"{name}#{seen[name]}"
        else:
            seen[name] = 1
        items.append(Item(name, label, src))
    if not items:
        raise InputError("images: the list of (path, label) pairs is empty")
    return items


def _csv(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"images: cannot read {path} as CSV: {e}") from None
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["path", "label"]:
        rows = rows[1:]
    pairs, names = [], []
    for n, row in enumerate(rows, 1):
        if len(row) < 2 or not row[0].strip():
            raise InputError(f"images: {path} row {n}: expected path,label, got {row!r}")
        p = Path(row[0].strip())
        pairs.append((p if p.is_absolute() else path.parent / p, row[1].strip()))
        names.append(row[0].strip())     # as written in the CSV: relative paths stay relative
    if not pairs:
        raise InputError(f"images: {path} has no path,label rows")
    return _pairs(pairs, names)


def _regression_set(path):
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"images: cannot read {path} as JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != REGRESSION_FORMAT:
        raise InputError(f"images: {path} is not a regression set saved by Report.regression_set()")
    items = []
    for i, case in enumerate(data.get("cases", [])):
        try:
            src = base64.b64decode(case["image"], validate=True) if "image" in case else case["path"]
            items.append(Item(case["name"], case["label"], src))
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"images: {path} case {i} is malformed ({type(e).__name__}: {e})") from None
    if not items:
        raise InputError(f"images: the regression set {path} has no cases")
    return items, {"regression_set": {"source": data.get("source"), "cases": data["cases"]}}
