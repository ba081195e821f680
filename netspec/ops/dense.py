"""Dense (fully connected) on the channel axis: a vector I -> J, or every position of an image/sequence.

Seed notes: I×J MACCs, (2I − 1)×J FLOPs without bias (+J with it), (I + 1)×J weights.
"""

from __future__ import annotations

from .base import Attr, Op, register
from .conv import dot_cost


class DenseOp(Op):
    type = "dense"
    attrs = (Attr("units", "int+"),)
    has_bias = True

    def infer(self, a, ins):
        return (*ins[0][:-1], a["units"])

    def cost(self, a, ins, out):
        i, j = ins[0][-1], a["units"]
        positions = 1
        for d in ins[0][:-1]:
            positions *= d
        return [("dense", dot_cost("dense", i, positions * j, i * j, a["bias"], positions * i, j))]


register(DenseOp())
