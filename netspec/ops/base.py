"""What every op in the registry provides: its attributes, its shape rule and its cost rule.

Shapes are tuples: (H, W, C) an image, (L, C) a sequence, (C,) a vector. Costs are computed for
one sample; the cost stage scales activations and compute by `batch` (weights do not scale).
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, ...]

REQUIRED = object()


class ShapeError(Exception):
    """A layer whose inputs do not fit its rule; `key` names the attribute to point at."""

    def __init__(self, code: str, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.key = key


@dataclass(frozen=True, slots=True)
class Attr:
    """A layer attribute: its name, the kind of value it normalises to, and its default."""

    name: str
    kind: str  # int+ | int0 | pair+ | pair0 | padding | bool | number+ | rate | mode
    default: object = REQUIRED


@dataclass(slots=True)
class Cost:
    """One row of cost, per sample. Weights read = params (each weight once per inference)."""

    params: int = 0
    maccs: int = 0
    flops: int = 0
    input_reads: int = 0  # sliding-window model: reads of input feature-map elements
    output_writes: int = 0
    act_io: int = 0  # compulsory model: input + output activation elements, each once


def fmt_shape(shape: Shape | None) -> str:
    return "x".join(str(d) for d in shape) if shape else "?"


def kind_of(shape: Shape) -> str:
    return {3: "image", 2: "sequence", 1: "vector"}[len(shape)]


def numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class Op:
    """Base of every layer type. Subclasses set `type`, `attrs` and override `infer`/`cost`."""

    type: str = ""
    attrs: tuple[Attr, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    has_bias: bool = False  # dot-product layers take `bias` (default: not batchnorm)
    is_view: bool = False  # no data movement: the output aliases the input buffer

    def infer(self, a: dict, ins: list[Shape]) -> Shape:
        return ins[0]

    def cost(self, a: dict, ins: list[Shape], out: Shape) -> list[tuple[str, Cost]]:
        return [(self.type, Cost())]

    def require_image(self, shape: Shape) -> None:
        if len(shape) != 3:
            raise ShapeError("NS206", f"{self.type} needs an image (HxWxC) input, got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")


REGISTRY: dict[str, Op] = {}


def register(*ops: Op) -> None:
    for op in ops:
        REGISTRY[op.type] = op
