"""The op registry: every layer type, declared once in its family module (see `base.Op`).

Adding an op: a subclass of `Op` in its family module (or a new module imported below) with its
`type`, `doc`, `attrs`, `infer`, `cost` and `torch`, `register`ed; then regenerate the schema
with `python -m netspec.schemagen --write`.
"""

from . import conv, dense, elementwise, merge, pool, reshape  # noqa: F401  (registration)
from .base import REGISTRY, Attr, Cost, Op, Shape, ShapeError, TorchCode, fmt_shape, kind_of, numel

__all__ = ["REGISTRY", "Attr", "Cost", "Op", "Shape", "ShapeError", "TorchCode", "fmt_shape", "kind_of", "numel"]
