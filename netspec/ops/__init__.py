"""The op registry: every layer type, one module per family, shape and cost rules side by side.

Adding an op: subclass `Op` in its family module (or a new one imported below), give it `type`,
`attrs`, `infer` and `cost`, `register` it, and add its `layer_<type>` def to the JSON Schema.
"""

from . import conv, dense, elementwise, merge, pool, reshape  # noqa: F401  (registration)
from .base import REGISTRY, Attr, Cost, Op, Shape, ShapeError, fmt_shape, kind_of, numel

__all__ = ["REGISTRY", "Attr", "Cost", "Op", "Shape", "ShapeError", "fmt_shape", "kind_of", "numel"]
