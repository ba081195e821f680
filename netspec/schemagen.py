"""The layer part of schema/netspec.schema.json, generated from the op registry.

    python -m netspec.schemagen --write [FILE]   rewrite the committed schema from the registry
    python -m netspec.schemagen --check [FILE]   exit 1, saying so, when it is out of date

The committed file stays the one schema: what `netspec schema` prints, what editors read and
what the validate stage checks against (it is read at run time, never generated then). Its
hand-written parts (the top level and the shared `$defs`: expr, posint, size2, padding, the
inputs, block, layer_block_call, ...) are kept as they are. Generated are `$defs/activation` (the
activations a layer may fuse), `$defs/layer` (the dispatcher on `type`) and one
`$defs/layer_<type>` per registered op, from its `doc` and `attrs` (`ops.base.KINDS` gives each
kind's schema). `dumps` formats deterministically, so the file is byte-stable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .ops import REGISTRY
from .ops.base import KINDS, REQUIRED, Attr, Op

COMMAND = "python -m netspec.schemagen --write"
REPO_SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "netspec.schema.json"
WIDTH = 110  # a container that fits on its line (with the comma after it) is written on one line

# The keys every layer takes besides its op's attributes (name, inputs, ... are expansion's;
# activation, batchnorm and bias are applied by the ops as they write their output).
COMMON_PROPERTIES = {
    "name": {
        "$ref": "#/$defs/layername",
        "description": "The layer's name, unique within its scope (default `<type>_<index>`). Inside a block it is "
                       "prefixed with the block call's name (`ir3.dw`); a repeated layer is named `name.0`, "
                       "`name.1`, ... and the bare name means the last repetition.",
    },
    "inputs": {
        "$ref": "#/$defs/inputs",
        "description": "Where the layer reads from: a layer name, or a list of names and negative integers (-1 = "
                       "the previous layer, -2 the one before). `input` is the network input (inside a block: the "
                       "block's input). Default: the previous layer.",
    },
    "repeat": {
        "$ref": "#/$defs/posint",
        "description": "Apply the layer (or block call) this many times in a row (integer >= 1); `i` is the "
                       "0-based index in expressions.",
        "default": 1,
    },
    "when": {
        "$ref": "#/$defs/boolexpr",
        "description": "A boolean (or ${...} expression); false drops the layer, which then acts as an identity "
                       "of its first input.",
        "default": True,
    },
    "activation": {"description": "A fused activation applied to the layer's output (or a ${...} expression that "
                                  "gives one's name).",
                   "anyOf": [{"$ref": "#/$defs/activation"}, {"$ref": "#/$defs/expr"}]},
    "batchnorm": {
        "$ref": "#/$defs/boolexpr",
        "description": "true adds a fused batch norm after the layer (before the activation).",
        "default": False,
    },
    "bias": {
        "$ref": "#/$defs/boolexpr",
        "description": "Include a bias. Default: true, except false when `batchnorm: true`.",
    },
    "note": {"type": "string", "description": "Free text, kept in reports."},
    "lint": {"$ref": "#/$defs/lint",
             "description": "Warning codes this layer silences for itself: `{ignore: [NS401]}` (in a block, for "
                            "every call of it)."},
}

TYPE_DESCRIPTION = "The layer type (conv, depthwise, dense, add, ...) or the name of a block of this spec."


def written_default(attr: Attr):
    """The default as a spec would write it ((1, 1) -> 1, (0, 2) -> [0, 2]); None when there is none."""
    d = attr.default
    if d is REQUIRED or d is None:
        return None
    if isinstance(d, tuple):
        return d[0] if len(d) == 2 and d[0] == d[1] else list(d)
    return d


def attr_schema(attr: Attr) -> dict:
    """An attribute's property: its kind's fragment (or its own), with its description and default."""
    fragment = attr.schema or (KINDS[attr.kind] if isinstance(attr.kind, str) else
                               {"anyOf": [{"enum": list(attr.kind)}, {"$ref": "#/$defs/expr"}]})
    out = {"$ref": fragment["$ref"]} if "$ref" in fragment else {}
    out["description"] = attr.doc
    default = written_default(attr)
    if default is not None:
        out["default"] = default
    out.update((k, v) for k, v in fragment.items() if k != "$ref")
    return out


def layer_schema(op: Op) -> dict:
    """`$defs/layer_<type>`: the common keys and the op's attributes, nothing else."""
    props = {"type": {"const": op.type, "description": f"The layer type: `{op.type}`."}, **COMMON_PROPERTIES}
    if op.min_inputs >= 2:  # a join: always a list (its length is checked again against max_inputs on expansion)
        count = "Two" if op.min_inputs == 2 else str(op.min_inputs)
        props["inputs"] = {"description": f"{count} or more inputs: layer names and/or negative integers (-1 = the "
                                          "previous layer).", "type": "array", "items": {"$ref": "#/$defs/input_ref"},
                           "minItems": op.min_inputs}
    for attr in op.attrs:
        props[attr.name] = attr_schema(attr)
    required = ["type", *(["inputs"] if op.min_inputs >= 2 else []),
                *(a.name for a in op.attrs if a.default is REQUIRED)]
    return {"title": f"{op.type} layer", "description": op.doc, "type": "object", "properties": props,
            "required": required, "additionalProperties": False}


def dispatcher(types: list[str]) -> dict:
    """`$defs/layer`: each layer type to its own def, anything else to a block call (for editors;
    netspec itself picks the def in code)."""
    branches = [{"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                 "then": {"$ref": f"#/$defs/layer_{t}"}} for t in types]
    branches.append({"if": {"properties": {"type": {"type": "string", "not": {"enum": types}}}, "required": ["type"]},
                     "then": {"$ref": "#/$defs/layer_block_call"}})
    return {"description": "A layer: a mapping with `type` and that type's keys.", "type": "object",
            "properties": {"type": {"type": "string", "description": TYPE_DESCRIPTION}},
            "required": ["type"], "allOf": branches}


def generate(committed: str, registry: dict[str, Op] = REGISTRY) -> str:
    """The schema text: `committed` with its generated parts made anew from `registry`."""
    root = json.loads(committed)
    defs = root.get("$defs", {})
    types = list(registry)
    generated = {"layer": dispatcher(types), **{f"layer_{t}": layer_schema(op) for t, op in registry.items()}}
    activations = [t for t, op in registry.items() if op.is_activation]
    new_defs: dict = {}
    for name, value in defs.items():
        if name == "activation":
            value = {"description": "An activation function.", "type": "string", "enum": activations}
        elif name == "layer":
            new_defs.update(generated)
            continue
        elif name.startswith("layer_") and name != "layer_block_call":
            continue  # an op's def: made anew above (an op no longer registered loses its def)
        new_defs[name] = value
    for name, value in generated.items():  # a committed file that had no dispatcher yet
        new_defs.setdefault(name, value)
    root["$defs"] = new_defs
    return dumps(root) + "\n"


def dumps(value, indent: int = 0, prefix: int = 0) -> str:
    """JSON with two-space indents, a container on one line when it fits in WIDTH columns."""
    one = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or indent + prefix + len(one) + 1 <= WIDTH:
        return one
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = json.dumps(k, ensure_ascii=False) + ": "
            items.append(pad + key + dumps(v, indent + 2, len(key)))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + dumps(v, indent + 2) for v in value) + "\n" + " " * indent + "]"


def main(argv: list[str] | None = None) -> int:
    """`--write [FILE]` or `--check [FILE]` (default: the repo's schema/netspec.schema.json)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("--write", "--check") or len(args) > 2:
        print(f"usage: python -m netspec.schemagen --write|--check [FILE]\n\n{__doc__.splitlines()[0]}", file=sys.stderr)
        return 2
    path = Path(args[1]) if len(args) == 2 else REPO_SCHEMA
    try:
        committed = path.read_text(encoding="utf-8")
        text = generate(committed)
    except (OSError, ValueError) as exc:
        print(f"netspec.schemagen: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if args[0] == "--check":
        if text != committed:
            print(f"{path} is out of date with the op registry; regenerate it with: {COMMAND}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    if text != committed:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"netspec.schemagen: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"{path}: regenerated from the op registry")
    else:
        print(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
