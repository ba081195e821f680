"""Dense (fully connected) on the channel axis: a vector I -> J, or every position of an image/sequence.

Seed notes: I×J MACCs, (2I − 1)×J FLOPs without bias (+J with it), (I + 1)×J weights.
PyTorch: `nn.Linear` on a vector; on an image or a sequence a 1x1 `nn.Conv2d`/`nn.Conv1d` (the
same weights, parameters and MACCs as a Linear on the channel axis).
"""

from __future__ import annotations

from .base import Attr, Op, TorchCode, register
from .conv import dot_cost


class DenseOp(Op):
    type = "dense"
    family = "dense"
    doc = ("Fully connected layer on the channel axis (at every position of an image or sequence; use `flatten` "
           "first for a classic FC layer).")
    attrs = (Attr("units", "int+", doc="Number of output units (channels)."),)
    has_bias = True

    def infer(self, a, ins):
        return (*ins[0][:-1], a["units"])

    def cost(self, a, ins, out):
        i, j = ins[0][-1], a["units"]
        positions = 1
        for d in ins[0][:-1]:
            positions *= d
        return [("dense", dot_cost("dense", i, positions * j, i * j, a["bias"], positions * i, j))]

    def torch(self, layer, ins):
        shape = ins[0]
        c, u = shape[-1], layer.attrs["units"]
        bias = "" if layer.attrs["bias"] else ", bias=False"
        if len(shape) == 1:
            return TorchCode([f"nn.Linear({c}, {u}{bias})"])
        # a Linear on the channel axis at every position, as a 1x1 convolution
        return TorchCode([f"nn.Conv{len(shape) - 1}d({c}, {u}, kernel_size=1{bias})"])


register(DenseOp())
