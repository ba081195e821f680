"""The op registry: every layer type, declared once in its family module (see `base.Op`).

Adding an op: a subclass of `Op` in its family module (an existing one, or a new module in this
folder: every module here but `base` is imported below, in name order) with its `type`, `doc`,
`attrs`, `infer`, `cost` and `torch`, `register`ed; then regenerate the schema with
`python -m netspec.schemagen --write`.
"""

import os as _os
from importlib import import_module as _import_module

from .base import REGISTRY, Attr, Cost, Op, Shape, ShapeError, Tokens, TorchCode, fmt_shape, kind_of, numel

FAMILIES = tuple(sorted(name[:-3] for name in _os.listdir(_os.path.dirname(__file__))
                        if name.endswith(".py") and not name.startswith("_") and name != "base.py"))
for _family in FAMILIES:  # registration: each family module registers its ops (registry order = this order)
    _import_module(f".{_family}", __name__)

__all__ = ["REGISTRY", "Attr", "Cost", "Op", "Shape", "ShapeError", "Tokens", "TorchCode", "fmt_shape", "kind_of",
           "numel"]
