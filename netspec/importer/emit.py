"""The imported network as spec YAML: one flow mapping per layer, as the zoo's specs are written.

`entries` turns mapped layers into the entries of a `layers:` list (sequential inputs left out,
`bias` only where it differs from the default); `spec_text` writes the whole spec.
"""

from __future__ import annotations

import json
import re

from ..ops import REGISTRY
from ..ops import base as _ops_base

PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {scalar(x)}" for k, x in v.items()) + "}"
    s = str(v)
    if PLAIN.match(s) and s.lower() not in YAML_WORDS:
        return s
    return json.dumps(s, ensure_ascii=False)


def entry(layer, previous: str) -> dict:
    """A layer's entry; `previous` is what its default input would be."""
    e = {"name": layer.name, "type": layer.type, **layer.attrs}
    if layer.inputs != [previous]:
        e["inputs"] = layer.inputs[0] if len(layer.inputs) == 1 else list(layer.inputs)
    if layer.batchnorm:
        e["batchnorm"] = True
    if layer.activation:
        e["activation"] = layer.activation
    op = REGISTRY.get(layer.type)
    if op is not None and op.has_bias and layer.bias is not None and layer.bias == layer.batchnorm:
        e["bias"] = layer.bias
    if layer.note:
        e["note"] = layer.note
    return e


def entries(layers, first_input: str = "input") -> list[dict]:
    out, previous = [], first_input
    for layer in layers:
        out.append(entry(layer, previous))
        previous = layer.name
    return out


def input_text(shape: tuple) -> dict:
    if type(shape) is getattr(_ops_base, "Tokens", None):
        return {"length": shape[0]}
    if len(shape) == 3:
        return {"height": shape[0], "width": shape[1], "channels": shape[2]}
    if len(shape) == 2:
        return {"length": shape[0], "channels": shape[1]}
    return {"channels": shape[0]}


def spec_text(name: str, header: list[str], input_shape: tuple, layers: list[dict], blocks: dict | None = None,
              batch: int = 1, dtype: str = "float32") -> str:
    lines = [f"# {h}" for h in header]
    lines += ["netspec: 1", f"name: {scalar(name)}", f"input: {scalar(input_text(input_shape))}"]
    if batch != 1:
        lines.append(f"batch: {batch}")
    if dtype != "float32":
        lines.append(f"dtype: {dtype}")
    if blocks:
        lines.append("blocks:")
        for bname, block in blocks.items():
            lines.append(f"  {bname}:")
            if block.get("comment"):
                lines.append(f"    # {block['comment']}")
            if block.get("args"):
                lines.append(f"    args: {scalar(block['args'])}")
            lines.append("    layers:")
            lines += [f"      - {scalar(e)}" for e in block["layers"]]
    lines.append("layers:")
    lines += [f"  - {scalar(e)}" for e in layers]
    return "\n".join(lines) + "\n"
