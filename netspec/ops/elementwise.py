"""Element-wise ops: activations, batch/layer/group/RMS norm, layer scale, glu, dropout and identity.

Each has a FLOPs-per-element figure (the table the README publishes). Standalone, an element-wise
layer reads every input element and writes every output element; fused onto another layer
(`activation:`, `batchnorm: true`) it costs its FLOPs and parameters but no feature-map traffic,
since it is applied as the output is written. Dropout and identity are free views.

FLOPs per element are counted as the obvious scalar formula's operations (README "Conventions").
PyTorch: each maps to its `nn` module; a layer norm over an image or a sequence runs on the
channels-last tensor (the forward pass permutes around it), and so do its fused ops.
"""

from __future__ import annotations

from .base import (Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, numel, register, to_channels_first,
                   to_channels_last, torch_helper, torch_number)


class ElementwiseOp(Op):
    """Same shape out as in; `per_element` FLOPs; `per_channel` learnable parameters per channel
    (batch and layer norm 2: scale and shift; RMS norm and layer scale 1)."""

    def __init__(self, type_: str, per_element: int, doc: str, norm: bool = False, per_channel: int = 0) -> None:
        self.type = type_
        self.per_element = per_element
        self.doc = doc
        self.per_channel = 2 if norm else per_channel

    def params(self, shape) -> int:
        return self.per_channel * shape[-1]

    def cost(self, a, ins, out):
        n = numel(out)
        p = self.params(out)
        return [(self.type, Cost(params=p, flops=self.per_element * n, input_reads=n, output_writes=n,
                                 act_io=2 * n))]

    def fused_cost(self, out) -> Cost:
        """Applied while another layer writes `out`: FLOPs and params, no feature-map traffic."""
        return Cost(params=self.params(out), flops=self.per_element * numel(out))


class ActivationOp(ElementwiseOp):
    """An activation: a layer of its own, or fused onto any layer with `activation: <type>`."""

    is_activation = True

    def __init__(self, type_: str, per_element: int, doc: str, module: str, channels_last: str | None = None) -> None:
        super().__init__(type_, per_element, doc)
        self.module = module  # its nn module on a channels-first tensor
        self.module_last = channels_last or module  # ... and on a channels-last one

    def torch(self, layer, ins):
        return TorchCode([self.module])

    def torch_fused(self, shape, channels_last):
        return [self.module_last if channels_last else self.module]


class PReLUOp(ActivationOp):
    """PReLU: a learned slope per channel (C parameters), fused or standalone."""

    def params(self, shape) -> int:
        return shape[-1]

    def torch(self, layer, ins):
        return TorchCode([f"nn.PReLU({ins[0][-1]})"])

    def torch_fused(self, shape, channels_last):
        return per_channel_last(f"nn.PReLU({shape[-1]})", shape) if channels_last else [f"nn.PReLU({shape[-1]})"]


def per_channel_last(module: str, shape) -> list[str]:
    """A per-channel module (on dim 1) applied to a channels-last tensor: (N, ..., C) -> (N*..., C),
    the module, and back."""
    if len(shape) == 1:
        return [module]
    return ["nn.Flatten(0, -2)", module, f"nn.Unflatten(0, (-1, {', '.join(map(str, shape[:-1]))}))"]


def _batchnorm(shape) -> str:
    return f"nn.BatchNorm2d({shape[-1]})" if len(shape) == 3 else f"nn.BatchNorm1d({shape[-1]})"


class BatchNormOp(ElementwiseOp):
    """Inference batch norm: scale and shift per channel (mean and variance folded)."""

    def torch(self, layer, ins):
        return TorchCode([_batchnorm(ins[0])])

    def torch_fused(self, shape, channels_last):
        if channels_last and len(shape) > 1:
            # (N, ..., C) -> (N*..., C) -> BatchNorm1d -> back: the same statistics as BatchNorm2d/1d
            return per_channel_last(f"nn.BatchNorm1d({shape[-1]})", shape)
        return [_batchnorm(shape)]


class LayerNormOp(ElementwiseOp):
    """Layer norm over the channel axis: `nn.LayerNorm` (`nn.RMSNorm`) runs channels-last."""

    module = "nn.LayerNorm"

    def torch(self, layer, ins):
        shape = ins[0]
        if len(shape) == 1:
            return TorchCode([f"{self.module}({shape[-1]})"])
        call = to_channels_first("{m}(%s)" % to_channels_last("{0}", len(shape)), len(shape))
        return TorchCode([f"{self.module}({shape[-1]})"], call, channels_last=True)


class RMSNormOp(LayerNormOp):
    """RMS norm (Zhang and Sennrich 2019): x / rms(x) · γ over the channels, no mean, no shift."""

    module = "nn.RMSNorm"


LAYER_SCALE = torch_helper("NetspecLayerScale", '''
class NetspecLayerScale(nn.Module):
    """netspec `layer_scale`: a learned factor per channel (channels first)."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        return x * self.gamma.view(-1, *[1] * (x.dim() - 2))
''')


class LayerScaleOp(ElementwiseOp):
    """A learned per-channel γ (CaiT, ConvNeXt): C parameters, one multiply per element."""

    def torch(self, layer, ins):
        return TorchCode([f"{LAYER_SCALE}({ins[0][-1]})"], helpers=(LAYER_SCALE,))


class GluOp(Op):
    """Gated linear unit: the first half of the channels times the sigmoid of the second half."""

    type = "glu"
    doc = "Gated linear unit: a * sigmoid(b) of the two halves of the channels; halves the channels."

    def infer(self, a, ins):
        c = ins[0][-1]
        if c % 2:
            raise ShapeError("NS205", f"glu halves the channels, and {fmt_shape(ins[0])} has an odd number ({c})",
                             "inputs")
        return (*ins[0][:-1], c // 2)

    def cost(self, a, ins, out):
        n, read = numel(out), numel(ins[0])
        return [("glu", Cost(flops=5 * n, input_reads=read, output_writes=n, act_io=read + n))]  # sigmoid 4, multiply

    def torch(self, layer, ins):
        return TorchCode(["nn.GLU(dim=1)"])


class GroupNormOp(ElementwiseOp):
    """Group norm: statistics over each group of C / groups channels and every position; 2·C params."""

    attrs = (Attr("groups", "int+", doc="Number of channel groups; it must divide the channels."),)

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) == 1:
            raise ShapeError("NS206", f"groupnorm needs an image or a sequence, got the vector {fmt_shape(shape)}",
                             "inputs")
        if shape[-1] % a["groups"]:
            raise ShapeError("NS205", f"groupnorm: channels {shape[-1]} are not divisible by groups {a['groups']}",
                             "groups")
        if numel(shape) == a["groups"]:  # as PyTorch: a variance needs two values
            raise ShapeError("NS204", f"groupnorm: each of the {a['groups']} groups of the {fmt_shape(shape)} input "
                             "holds one value (no variance to normalise by)", "groups")
        return shape

    def torch(self, layer, ins):
        return TorchCode([f"nn.GroupNorm({layer.attrs['groups']}, {ins[0][-1]})"])


class IdentityOp(Op):
    """No computation and no data movement."""

    type = "identity"
    doc = "Identity: same shape, no cost."
    is_view = True

    def torch(self, layer, ins):
        return TorchCode([])  # the export writes nn.Identity() when nothing is fused


class DropoutOp(IdentityOp):
    """An identity at inference; `rate` is kept for the reader and the export."""

    type = "dropout"
    doc = "Dropout: same shape, no cost at inference."
    attrs = (Attr("rate", "rate", 0.5, "Drop probability, 0..1 (documentation only: no cost)."),)

    def torch(self, layer, ins):
        return TorchCode([f"nn.Dropout({torch_number(layer.attrs['rate'])})"])


# type, FLOPs per element (the scalar formula's operations), description, PyTorch module
ACTIVATIONS = (
    ActivationOp("relu", 1, "ReLU activation.", "nn.ReLU()"),  # max(x, 0)
    ActivationOp("relu6", 2, "ReLU6 activation.", "nn.ReLU6()"),  # min(max(x, 0), 6)
    # compare, multiply; netspec has no slope attribute: PyTorch's 0.01
    ActivationOp("leaky_relu", 2, "Leaky ReLU activation.", "nn.LeakyReLU()"),
    ActivationOp("sigmoid", 4, "Sigmoid activation.", "nn.Sigmoid()"),  # negate, exp, add, divide
    ActivationOp("tanh", 5, "tanh activation.", "nn.Tanh()"),  # two exps, subtract, add, divide
    ActivationOp("swish", 5, "Swish (SiLU) activation.", "nn.SiLU()"),  # x · sigmoid(x)
    ActivationOp("silu", 5, "SiLU activation (the same function as swish).", "nn.SiLU()"),
    ActivationOp("hswish", 5, "Hard swish activation.", "nn.Hardswish()"),  # x · hsigmoid(x)
    ActivationOp("hsigmoid", 4, "Hard sigmoid activation.", "nn.Hardsigmoid()"),  # relu6(x + 3) / 6
    # tanh approximation: cube, multiply-add, scale, tanh-free count of 8 scalar ops (counted as such)
    ActivationOp("gelu", 8, "GELU activation.", 'nn.GELU(approximate="tanh")'),
    # exp, add to the sum, divide; over the channels
    ActivationOp("softmax", 3, "Softmax over the channel axis.", "nn.Softmax(dim=1)", "nn.Softmax(dim=-1)"),
    # format 1.1: mish x·tanh(softplus(x)): softplus 3 + tanh 5 + multiply
    ActivationOp("mish", 9, "Mish activation: x * tanh(softplus(x)).", "nn.Mish()"),
    # compare, multiply; C learned slopes
    PReLUOp("prelu", 2, "PReLU activation: a learned slope per channel for negative inputs (C parameters).",
            "nn.PReLU()"),
    ActivationOp("elu", 4, "ELU activation (alpha 1).", "nn.ELU()"),  # compare, exp, subtract, multiply
    ActivationOp("softplus", 3, "Softplus activation: log(1 + exp(x)).", "nn.Softplus()"),  # exp, add, log
    ActivationOp("hardtanh", 2, "Hard tanh activation: x clamped to [-1, 1].", "nn.Hardtanh()"),  # max, min
)

NORMS = (BatchNormOp("batchnorm", 2, "Standalone batch normalisation (2*C parameters).", norm=True),
         # mean 1, variance 3, normalise 2, scale and shift 2
         LayerNormOp("layernorm", 8, "Layer normalisation over the channel axis.", norm=True),
         # square and accumulate 2, normalise 1, scale 1
         RMSNormOp("rmsnorm", 4, "RMS normalisation over the channel axis (a learned scale per channel, C "
                   "parameters).", per_channel=1),
         LayerScaleOp("layer_scale", 1, "Layer scale: multiplies every channel by a learned factor (C parameters).",
                      per_channel=1),
         # as layer norm: mean 1, variance 3, normalise 2, scale and shift 2 per element
         GroupNormOp("groupnorm", 8, "Group normalisation: channels in `groups` groups, each normalised over its "
                     "channels and every position (2*C parameters).", norm=True))

register(*NORMS, *ACTIVATIONS, GluOp(), DropoutOp(), IdentityOp())

# The table the README publishes: FLOPs per element of each element-wise op.
FLOPS_PER_ELEMENT = {op.type: op.per_element for op in (*ACTIVATIONS, *NORMS)}
