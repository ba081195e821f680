"""Stage 4, infer: a layer's output shape from its inputs, by its op's rule.

Expansion calls `infer_layer` as it appends each layer: expressions may read the input's
dimensions, so shapes cannot wait for a separate pass over the finished graph.
"""

from __future__ import annotations

from .ops import Op, Shape, ShapeError, Tokens, numel


def check_arity(op: Op, count: int) -> None:
    if count < op.min_inputs:
        raise ShapeError("NS210", f"{op.type} needs at least {op.min_inputs} inputs, got {count}", "inputs")
    if op.max_inputs is not None and count > op.max_inputs:
        n = op.max_inputs
        raise ShapeError("NS210", f"{op.type} takes {'one input' if n == 1 else f'at most {n} inputs'}, got {count}",
                         "inputs")


def infer_layer(op: Op, attrs: dict, in_shapes: list[Shape]) -> Shape:
    """The output shape, or ShapeError naming the code, the message and the attribute at fault.

    Token ids (`input: {length: N}`) are integers, not features: only the ops that say so take them.
    """
    if not op.takes_tokens:
        for shape in in_shapes:
            if type(shape) is Tokens:
                raise ShapeError("NS206", f"{op.type} cannot read token ids ({shape[0]} of them); an `embedding` "
                                 "turns them into a sequence first", "inputs")
    out = op.infer(attrs, in_shapes)
    if numel(out) > 2**63 - 1:  # every dimension is >= 1, so this bounds each of them too
        raise ShapeError("NS215", f"{op.type}: output {'x'.join(map(str, out))} has more than 2**63 - 1 elements")
    return out

