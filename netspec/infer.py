"""Stage 4, infer: a layer's output shape from its inputs, by its op's rule.

Expansion calls `infer_layer` as it appends each layer (expressions may read the input's
dimensions); `infer_shapes` re-derives every shape of an already flat graph.
"""

from __future__ import annotations

from .ops import REGISTRY, Op, Shape, ShapeError


def check_arity(op: Op, count: int) -> None:
    if count < op.min_inputs:
        raise ShapeError("NS210", f"{op.type} needs at least {op.min_inputs} inputs, got {count}", "inputs")
    if op.max_inputs is not None and count > op.max_inputs:
        raise ShapeError("NS210", f"{op.type} takes {op.max_inputs} input, got {count}", "inputs")


def infer_layer(op: Op, attrs: dict, in_shapes: list[Shape]) -> Shape:
    """The output shape, or ShapeError naming the code, the message and the attribute at fault."""
    out = op.infer(attrs, in_shapes)
    if (out and max(out) > 2**63 - 1) or _numel_too_large(out):
        raise ShapeError("NS215", f"{op.type}: output {'x'.join(map(str, out))} has more than 2**63 - 1 elements")
    return out


def _numel_too_large(shape: Shape) -> bool:
    n = 1
    for d in shape:
        n *= d
    return n > 2**63 - 1


def infer_shapes(graph) -> None:
    """Recompute every layer's output in order (the graph is topologically sorted by construction)."""
    for layer in graph.layers:
        op = REGISTRY[layer.type]
        shapes = [graph.shape_of(r) for r in layer.inputs]
        check_arity(op, len(shapes))
        layer.output = infer_layer(op, layer.attrs, shapes)
