"""Ops that change the layout: flatten (a free view) and upsample.

upsample: nearest costs no FLOPs, bilinear 7 per output element (4 multiplies, 3 adds); it reads
every input element and writes every output element.

PyTorch: flatten in HxWxC order (permuted to channels-last first, so a following Linear matches);
upsample is `nn.Upsample`.
"""

from __future__ import annotations

import math

from .base import Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, numel, register, to_channels_last, torch_number


class FlattenOp(Op):
    type = "flatten"
    doc = "Flatten to a vector of H*W*C."
    is_view = True

    def infer(self, a, ins):
        if len(ins[0]) == 1:
            raise ShapeError("NS206", f"flatten needs an image or a sequence; its input is already the vector "
                             f"{fmt_shape(ins[0])}", "inputs")
        return (numel(ins[0]),)

    def torch(self, layer, ins):
        return TorchCode(["nn.Flatten()"], "{m}(%s)" % to_channels_last("{0}", len(ins[0])))


class UpsampleOp(Op):
    type = "upsample"
    doc = "Upsampling by an integer (or real) factor. Output (H*scale)x(W*scale)xC."
    attrs = (Attr("scale", "number+", doc="Scale factor: a number > 0 (usually an integer) or a ${...} expression."),
             Attr("mode", ("nearest", "bilinear"), "nearest", "Interpolation mode."))

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        s = a["scale"]
        try:
            ho, wo = math.floor(h * s), math.floor(w * s)
        except OverflowError:  # 1e308 * 8 is inf
            raise ShapeError("NS215", f"upsample: {h}x{w} scaled by {s!r} is larger than 2**63 - 1", "scale") from None
        if ho < 1 or wo < 1:
            raise ShapeError("NS204", f"upsample: scale {s!r} turns {h}x{w} into an empty {ho}x{wo}", "scale")
        return (ho, wo, c)

    def cost(self, a, ins, out):
        n = numel(out)
        per = 7 if a["mode"] == "bilinear" else 0
        return [("upsample", Cost(flops=per * n, input_reads=numel(ins[0]), output_writes=n,
                                  act_io=numel(ins[0]) + n))]

    def torch(self, layer, ins):
        mode = layer.attrs["mode"]
        extra = ", align_corners=False" if mode == "bilinear" else ""
        return TorchCode([f'nn.Upsample(scale_factor={torch_number(layer.attrs["scale"])}, mode="{mode}"{extra})'])


register(FlattenOp(), UpsampleOp())
