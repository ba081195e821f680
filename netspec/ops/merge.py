"""Ops that join tensors: add and multiply (with broadcasting), concat on any axis (channels by default).

add/multiply: k − 1 FLOPs per output element for k inputs; concat: none. Both read every input
element and write every output element. PyTorch: computed in the forward expression (`+`, `*`,
`torch.cat` on the axis's channels-first dim), broadcasting as netspec does (right-aligned on channels-last shapes).
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, TorchCode, axis_index, fmt_shape, numel, register, torch_dim


class BroadcastOp(Op):
    """Inputs broadcast right-aligned, as in NumPy: a vector C scales every position of HxWxC."""

    min_inputs = 2
    max_inputs = None

    def __init__(self, type_: str, symbol: str, doc: str) -> None:
        self.type = type_
        self.symbol = symbol
        self.doc = doc

    def infer(self, a, ins):
        out = ins[0]
        for i, shape in enumerate(ins[1:], start=2):
            out = self.broadcast(out, shape, i)
        return out

    def broadcast(self, x, y, i):
        if x == y:
            return x
        if len(x) == len(y) and x[:-1] == y[:-1] and x[-1] != y[-1]:
            raise ShapeError("NS203", f"{self.type}: inputs {fmt_shape(x)} and {fmt_shape(y)} differ in channels",
                             "inputs")
        n = max(len(x), len(y))
        xs, ys = (1,) * (n - len(x)) + x, (1,) * (n - len(y)) + y
        out = []
        for dx, dy in zip(xs, ys):
            if dx != dy and 1 not in (dx, dy):
                raise ShapeError("NS203", f"{self.type}: input {i} ({fmt_shape(y)}) does not broadcast against "
                                 f"{fmt_shape(x)}", "inputs")
            out.append(max(dx, dy))
        return tuple(out)

    def cost(self, a, ins, out):
        n = numel(out)
        reads = sum(numel(s) for s in ins)
        return [(self.type, Cost(flops=(len(ins) - 1) * n, input_reads=reads, output_writes=n, act_io=reads + n))]

    def torch(self, layer, ins):
        rank = len(layer.output)
        terms = []
        for i, shape in enumerate(ins):
            expr = "{%d}" % i
            missing = rank - len(shape)
            if missing:
                # channels-first: a rank-r input's spatial dims align to the right of the output's
                expr += "[:, :" + ", None" * missing + "]"
            terms.append(expr)
        return TorchCode([], "{m}(%s)" % f" {self.symbol} ".join(terms), inline=True)


class ConcatOp(Op):
    type = "concat"
    doc = "Concatenation of two or more inputs on one axis (channels by default); the other dimensions must match."
    attrs = (Attr("axis", ("channels", "length", "height", "width"), "channels",
                  "The axis to join on: channels, length (sequences), height or width (images)."),)
    min_inputs = 2
    max_inputs = None

    def infer(self, a, ins):
        first = ins[0]
        axis = a["axis"]
        k = axis_index("concat", first, axis)
        for i, shape in enumerate(ins[1:], start=2):
            if len(shape) != len(first) or shape[:k] != first[:k] or shape[k + 1:] != first[k + 1:]:
                raise ShapeError("NS203", f"concat: input {i} is {fmt_shape(shape)} but input 1 is "
                                 f"{fmt_shape(first)}; all but the {axis} must match", "inputs")
        return (*first[:k], sum(s[k] for s in ins), *first[k + 1:])

    def cost(self, a, ins, out):
        n = numel(out)
        return [("concat", Cost(input_reads=n, output_writes=n, act_io=2 * n))]

    def torch(self, layer, ins):
        dim = torch_dim(ins[0], axis_index("concat", ins[0], layer.attrs["axis"]))
        return TorchCode([], "{m}(torch.cat([%s], dim=%d))" % (", ".join("{%d}" % i for i in range(len(ins))), dim),
                         inline=True)


register(BroadcastOp("add", "+", "Element-wise sum of two or more inputs (a vector C broadcasts over an image or "
                     "sequence)."),
         BroadcastOp("multiply", "*", "Element-wise product of two or more inputs (multiplying by a vector C scales "
                     "channels, as in squeeze-excite)."),
         ConcatOp())
