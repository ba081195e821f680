"""The flat graph that expansion produces and every later stage reads.

Invariant: `Graph.layers` is in execution order and every input of a layer is an earlier layer
(or INPUT, the network input), so one forward pass over the list is a topological walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .ops import REGISTRY
from .ops.base import Cost, Shape
from .rows import scale

INPUT = -1  # reference to the network input

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


class Source(NamedTuple):
    """Where a layer was written: its YAML mapping, and the block calls that led there (outermost
    first), each (line, column, spec path, instance name such as `layer2.1`, block name). A named
    tuple: one is made per layer, and a frozen dataclass costs three times more."""

    line: int
    column: int
    path: str
    calls: tuple[tuple[int, int, str, str, str], ...] = ()


@dataclass(slots=True)
class Layer:
    name: str
    type: str
    attrs: dict
    inputs: list[int]
    source: Source
    node: object = None  # the PosDict that wrote it, for diagnostics at a key
    output: Shape | None = None
    fused: tuple[str, ...] = ()  # ("batchnorm", "relu6"): applied to the output, in that order
    note: str | None = None
    # Filled by the cost stage: the op's own per-sample parts, the layer's batch-scaled sum (a
    # CostRow), and the (batch, dtype bytes) that scaled it. `parts` adds the fused rows and
    # `rows` scales each part, both only when a report asks.
    op_parts: list[tuple[str, Cost]] = field(default_factory=list)
    cost: object = None
    scaling: tuple[int, int] = (1, 4)

    @property
    def parts(self) -> list[tuple[str, Cost]]:
        """Per-sample cost parts: the op's (two for separable), then each fused batchnorm/activation."""
        if not self.op_parts:
            return []
        return [*self.op_parts, *((f, REGISTRY[f].fused_cost(self.output)) for f in self.fused)]

    @property
    def rows(self) -> list:
        """The batch-scaled row of each part; they sum to `cost`."""
        batch, nbytes = self.scaling
        return [scale(label, c, batch, nbytes) for label, c in self.parts]


@dataclass(slots=True)
class Graph:
    name: str
    input: Shape
    batch: int = 1
    dtype: str = "float32"
    params: dict = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)
    budget: object = None  # the spec's `budget:` mapping (a PosDict), if any
    lint_ignore: tuple[str, ...] = ()
    output_ref: int = INPUT  # the network's output: the last layer as written
    scratch: list = field(default_factory=list)  # (layer, elements per sample) alive only while it runs; cost

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def shape_of(self, ref: int) -> Shape | None:
        return self.input if ref == INPUT else self.layers[ref].output

    def name_of(self, ref: int) -> str:
        return "input" if ref == INPUT else self.layers[ref].name
