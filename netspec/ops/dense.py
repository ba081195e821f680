"""Dense (fully connected) on the channel axis: a vector I -> J, or every position of an image/sequence.

Seed notes: I×J MACCs, (2I − 1)×J FLOPs without bias (+J with it), (I + 1)×J weights.
With `tie: <embedding>` (an LM head sharing the token embedding's table): the weight is that
embedding's, transposed; it is not counted again (params, weight bytes), only the bias, but it is
read (weight reads and compulsory traffic).

PyTorch: `nn.Linear` on a vector; on an image or a sequence a 1x1 `nn.Conv2d`/`nn.Conv1d` (the
same weights, parameters and MACCs as a Linear on the channel axis). Tied: `NetspecTiedLinear`,
holding only the bias, given the embedding's weight in the forward pass.
"""

from __future__ import annotations

from .base import Attr, Op, ShapeError, TorchCode, register, torch_helper
from .conv import dot_cost

TIED = torch_helper("NetspecTiedLinear", '''
class NetspecTiedLinear(nn.Module):
    """netspec dense with `tie:`: a linear map on the channel axis (channels first) whose weight is
    another layer's (an embedding's table, transposed); only the bias is its own."""

    def __init__(self, units, bias=True):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(units)) if bias else None

    def forward(self, x):
        x, weight = x
        return F.linear(x.transpose(1, -1), weight, self.bias).transpose(1, -1)
''')


class DenseOp(Op):
    type = "dense"
    family = "dense"
    doc = ("Fully connected layer on the channel axis (at every position of an image or sequence; use `flatten` "
           "first for a classic FC layer).")
    attrs = (Attr("units", "int+", doc="Number of output units (channels)."),
             Attr("tie", "layer", None, "The name of an `embedding` whose table (vocab x dim, transposed) is this "
                  "layer's weight, as in a language model's head: units = vocab, input channels = dim; its "
                  "weight is not counted again."))
    has_bias = True
    special_costs = True  # with `tie`, it reads a weight it does not own

    def infer(self, a, ins):
        tie = a["tie"]
        if tie is not None:
            if tie.type != "embedding":
                what = f"a {tie.type} layer" if tie.type else "the input"
                raise ShapeError("NS218", f"dense: `tie` names {tie}, {what}; a tied weight is an embedding's table",
                                 "tie")
            vocab, dim = tie.attrs["vocab"], tie.attrs["dim"]
            if (a["units"], ins[0][-1]) != (vocab, dim):
                raise ShapeError("NS218", f"dense: tied to {tie}'s {vocab}x{dim} table, but this layer maps "
                                 f"{ins[0][-1]} channels to {a['units']} units (units must be its vocab, the input "
                                 "channels its dim)", "tie")
        return (*ins[0][:-1], a["units"])

    def cost(self, a, ins, out):
        i, j = ins[0][-1], a["units"]
        positions = 1
        for d in ins[0][:-1]:
            positions *= d
        c = dot_cost("dense", i, positions * j, i * j, a["bias"], positions * i, j)
        if a["tie"] is not None:  # the weight is the embedding's: read here, counted there
            c.params -= i * j
            c.tied = i * j
        return [("dense", c)]

    def torch(self, layer, ins):
        shape = ins[0]
        c, u = shape[-1], layer.attrs["units"]
        if layer.attrs["tie"] is not None:
            bias = "" if layer.attrs["bias"] else ", bias=False"
            return TorchCode([f"{TIED}({u}{bias})"], "{m}(({0}, {tie}.weight))", helpers=(TIED,),
                             refs={"tie": str(layer.attrs["tie"])})
        bias = "" if layer.attrs["bias"] else ", bias=False"
        if len(shape) == 1:
            return TorchCode([f"nn.Linear({c}, {u}{bias})"])
        # a Linear on the channel axis at every position, as a 1x1 convolution
        return TorchCode([f"nn.Conv{len(shape) - 1}d({c}, {u}, kernel_size=1{bias})"])


register(DenseOp())
