"""Layout ops: slice (a view of part of one axis), crop (a centred view) and pad (a copy).

A view moves no data and shares its input's buffer (no reads, writes or FLOPs; peak memory
counts the input's buffer only). PyTorch: basic indexing on the channels-first tensor, computed in
the forward expression. pad reads every input element and writes every output element (the
padding too), with no FLOPs; PyTorch's `nn.ZeroPad2d`/`ReflectionPad2d`/`ReplicationPad2d` (1d
for sequences).
"""

from __future__ import annotations

from .base import (AXIS_NAMES, Attr, Cost, Op, ShapeError, Tokens, TorchCode, axis_index, fmt_shape, kind_of, numel,
                   register, torch_dim)


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


class CropOp(Op):
    """A centred crop: to `height` x `width`, or (two inputs) to the second input's height and width,
    as U-Net crops each skip to the upsampled map. Offsets are floor((H − h) / 2), as the paper's
    reference crops; a view."""

    type = "crop"
    doc = ("Centre crop of an image (a view): to `height` x `width`, or with two inputs the first cropped to the "
           "second's height and width (U-Net's skips).")
    attrs = (Attr("height", "int+", None, "Output height (one input only)."),
             Attr("width", "int+", None, "Output width (one input only)."))
    max_inputs = 2
    is_view = True

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) != 3:
            raise ShapeError("NS206", f"crop needs an image (HxWxC) input, got the {kind_of(shape)} {fmt_shape(shape)}",
                             "inputs")
        if len(ins) == 2:
            if a["height"] is not None or a["width"] is not None:
                raise ShapeError("NS104", "crop: with two inputs the size is the second input's; drop `height` and "
                                 "`width` (or the second input)", "height" if a["height"] is not None else "width")
            if len(ins[1]) != 3:
                raise ShapeError("NS206", f"crop: its second input must be an image to take the size of, got the "
                                 f"{kind_of(ins[1])} {fmt_shape(ins[1])}", "inputs")
            h, w = ins[1][:2]
            key = "inputs"
        else:
            missing = [k for k in ("height", "width") if a[k] is None]
            if missing:
                raise ShapeError("NS102", f"crop with one input needs `{missing[0]}` (or a second input to take the "
                                 "size of)", "type")
            h, w = a["height"], a["width"]
            key = "height" if h > shape[0] else "width"
        if h > shape[0] or w > shape[1]:
            raise ShapeError("NS204", f"crop: {h}x{w} is larger than its {fmt_shape(shape)} input", key)
        return (h, w, shape[2])

    def torch(self, layer, ins):
        (hi, wi, _), (h, w, _) = ins[0], layer.output
        top, left = (hi - h) // 2, (wi - w) // 2
        return TorchCode([], "{m}({0}[:, :, %d:%d, %d:%d])" % (top, top + h, left, left + w), inline=True)


PAD_DOC = ("Padding: p (every side), [h, w] (each side of that axis) or [top, bottom, left, right]; a sequence: p "
           "or [before, after].")


class PadOp(Op):
    """Explicit padding of an image or a sequence: a copy of the input into a larger buffer."""

    type = "pad"
    doc = "Pads an image or a sequence (zeros, reflection or replication), as a layer of its own: a copy."
    attrs = (Attr("padding", "padding", doc=PAD_DOC,
                  schema={"anyOf": [{"$ref": "#/$defs/nonnegint"},
                                    {"type": "array", "items": {"$ref": "#/$defs/nonnegint"}, "minItems": 2,
                                     "maxItems": 4}]}),
             Attr("mode", ("zeros", "reflect", "replicate"), "zeros",
                  "What the padding holds: zeros, the input reflected at its edge, or the edge repeated."))

    @staticmethod
    def sides(a, shape) -> list[tuple[int, int]]:
        """(before, after) per spatial axis; a sequence's [before, after] normalises to (b, b, a, a)."""
        p = a["padding"]
        if isinstance(p, str):
            raise ShapeError("NS104", f"pad: `padding` must be pixels (p, [h, w] or [top, bottom, left, right]), "
                             f"not {p}", "padding")
        if len(shape) == 2:
            if p[0] != p[1] or p[2] != p[3]:
                raise ShapeError("NS104", "pad: a sequence takes p or [before, after]", "padding")
            return [(p[0], p[2])]
        return [(p[0], p[1]), (p[2], p[3])]

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) == 1:
            raise ShapeError("NS206", f"pad needs an image or a sequence, got the vector {fmt_shape(shape)}", "inputs")
        sides = self.sides(a, shape)
        out = list(shape)
        for k, (before, after) in enumerate(sides):
            if a["mode"] == "reflect" and max(before, after) >= shape[k]:
                raise ShapeError("NS204", f"pad: reflect padding {max(before, after)} must be less than the "
                                 f"{('height', 'width')[k] if len(shape) == 3 else 'length'} {shape[k]}", "padding")
            out[k] += before + after
        return tuple(out)

    def cost(self, a, ins, out):
        n, m = numel(ins[0]), numel(out)
        return [("pad", Cost(input_reads=n, output_writes=m, act_io=n + m))]

    def torch(self, layer, ins):
        sides = self.sides(layer.attrs, ins[0])
        flat = tuple(x for pair in reversed(sides) for x in pair)  # PyTorch: last axis first
        d = len(sides)
        mod = {"zeros": f"nn.ConstantPad{d}d({flat}, 0.0)", "reflect": f"nn.ReflectionPad{d}d({flat})",
               "replicate": f"nn.ReplicationPad{d}d({flat})"}[layer.attrs["mode"]]
        return TorchCode([mod])


register(SliceOp(), CropOp(), PadOp())
