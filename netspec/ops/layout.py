"""Layout ops: slice (a view of part of one axis).

A view moves no data and shares its input's buffer (no reads, writes or FLOPs; peak memory
counts the input's buffer only). PyTorch: basic indexing on the channels-first tensor, computed in
the forward expression.
"""

from __future__ import annotations

from .base import AXIS_NAMES, Attr, Op, ShapeError, Tokens, TorchCode, axis_index, fmt_shape, register, torch_dim


class SliceOp(Op):
    """Part of one axis: `start`/`stop`/`step` as in Python (negative counts from the end), or one
    `index`, which removes the axis (a sequence becomes a vector, an image a sequence). Token ids
    slice on their length and stay token ids."""

    type = "slice"
    doc = ("A view of part of one axis: start/stop/step as in Python (negative counts from the end), or `index` "
           "for one position, which removes the axis.")
    attrs = (Attr("axis", AXIS_NAMES, doc="The axis: height, width, length or channels."),
             Attr("start", "int", 0, "First position (negative: from the end)."),
             Attr("stop", "int", None, "Position after the last (negative: from the end); default: the end."),
             Attr("step", "int+", 1, "Take every step-th position."),
             Attr("index", "int", None, "One position instead of start/stop/step (negative: from the end); "
                                        "the axis is removed."))
    is_view = True
    takes_tokens = True

    def infer(self, a, ins):
        shape = ins[0]
        k = axis_index("slice", shape, a["axis"])
        n = shape[k]
        if a["index"] is not None:
            if a["start"] != 0 or a["stop"] is not None or a["step"] != 1:
                raise ShapeError("NS104", "slice: give `index` or start/stop/step, not both", "index")
            if a["axis"] == "channels" or type(shape) is Tokens:
                what = "token ids would leave no axis" if type(shape) is Tokens else \
                    "the channels would leave no channel axis"
                raise ShapeError("NS206", f"slice: `index` on {what}; take `start: i, stop: i + 1` instead", "index")
            position(n, a["index"], "index", shape, a["axis"], last=n - 1)
            return shape[:k] + shape[k + 1:]
        start = position(n, a["start"], "start", shape, a["axis"], last=n)
        stop = n if a["stop"] is None else position(n, a["stop"], "stop", shape, a["axis"], last=n)
        if stop <= start:
            raise ShapeError("NS204", f"slice: {a['axis']} {start}:{stop} of the {fmt_shape(shape)} input is empty",
                             "stop" if a["stop"] is not None else "start")
        out = (*shape[:k], -(-(stop - start) // a["step"]), *shape[k + 1:])
        return Tokens(out) if type(shape) is Tokens else out

    def torch(self, layer, ins):
        a, shape = layer.attrs, ins[0]
        k = axis_index("slice", shape, a["axis"])
        index = [":"] * torch_dim(shape, k)
        if a["index"] is not None:
            index.append(str(a["index"]))
        else:
            stop = "" if a["stop"] is None else str(a["stop"])
            index.append(f"{a['start'] or ''}:{stop}" + (f":{a['step']}" if a["step"] != 1 else ""))
        return TorchCode([], "{m}({0}[%s])" % ", ".join(index), inline=True)


def position(n: int, value: int, key: str, shape, axis: str, last: int) -> int:
    """`value` as a position 0..last on an axis of n (negative counts from the end); NS204 past it."""
    p = value + n if value < 0 else value
    if not 0 <= p <= last:
        valid = f"{-n} to {last}" if n else "none"
        raise ShapeError("NS204", f"slice: {key} {value} is past the end of {axis} {n} of the {fmt_shape(shape)} "
                         f"input (valid: {valid})", key)
    return p


register(SliceOp())
