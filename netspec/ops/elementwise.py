"""Element-wise ops: activations, batch/layer norm, dropout and identity.

Each has a FLOPs-per-element figure (the table the README publishes). Standalone, an element-wise
layer reads every input element and writes every output element; fused onto another layer
(`activation:`, `batchnorm: true`) it costs its FLOPs and parameters but no feature-map traffic,
since it is applied as the output is written. Dropout and identity are free views.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, numel, register

# FLOPs per element. Counted as the obvious scalar formula's operations; see README "Conventions".
FLOPS_PER_ELEMENT = {
    "relu": 1,        # max(x, 0)
    "relu6": 2,       # min(max(x, 0), 6)
    "leaky_relu": 2,  # compare, multiply
    "sigmoid": 4,     # negate, exp, add, divide
    "tanh": 5,        # two exps, subtract, add, divide
    "swish": 5,       # x · sigmoid(x)
    "hsigmoid": 4,    # relu6(x + 3) / 6: add, max, min, divide
    "hswish": 5,      # x · hsigmoid(x)
    "gelu": 8,        # tanh approximation: cube, multiply-add, scale, tanh-free count of 8 scalar ops
    "softmax": 3,     # exp, add to the sum, divide
    "batchnorm": 2,   # inference: scale and shift (mean/var folded)
    "layernorm": 8,   # mean 1, variance 3, normalise 2, scale and shift 2
}


class ElementwiseOp(Op):
    """Same shape out as in; `per_element` FLOPs; norms carry 2·C learnable parameters."""

    def __init__(self, type_: str, per_element: int, norm: bool = False) -> None:
        self.type = type_
        self.per_element = per_element
        self.norm = norm

    def params(self, shape) -> int:
        return 2 * shape[-1] if self.norm else 0

    def cost(self, a, ins, out):
        n = numel(out)
        p = self.params(out)
        return [(self.type, Cost(params=p, flops=self.per_element * n, input_reads=n, output_writes=n,
                                 act_io=2 * n))]

    def fused_cost(self, out) -> Cost:
        """Applied while another layer writes `out`: FLOPs and params, no feature-map traffic."""
        return Cost(params=self.params(out), flops=self.per_element * numel(out))


class ViewOp(Op):
    """No computation and no data movement (dropout at inference, identity)."""

    is_view = True

    def __init__(self, type_: str, attrs=()) -> None:
        self.type = type_
        self.attrs = attrs


ACTIVATIONS = tuple(k for k in FLOPS_PER_ELEMENT if k not in ("batchnorm", "layernorm"))

register(*(ElementwiseOp(t, FLOPS_PER_ELEMENT[t]) for t in ACTIVATIONS),
         ElementwiseOp("batchnorm", FLOPS_PER_ELEMENT["batchnorm"], norm=True),
         ElementwiseOp("layernorm", FLOPS_PER_ELEMENT["layernorm"], norm=True),
         ViewOp("dropout", (Attr("rate", "rate", 0.5),)), ViewOp("identity"))
