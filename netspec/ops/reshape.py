"""Ops that change the layout: flatten (a free view), upsample and channel_shuffle (copies).

upsample: nearest costs no FLOPs, bilinear 7 per output element (4 multiplies, 3 adds) on an image
and 3 on a sequence, where it interpolates linearly along the length (PyTorch's `linear`); it reads
every input element and writes every output element. channel_shuffle (format 1.1, ShuffleNet):
no FLOPs and no parameters, a copy that reads and writes every element.

PyTorch: flatten in HxWxC order (permuted to channels-last first, so a following Linear matches);
upsample is `nn.Upsample`; channel_shuffle is torchvision's view / transpose / reshape, written
in the forward pass.
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
    doc = "Upsampling by an integer (or real) factor. Output (H*scale)x(W*scale)xC, or (L*scale)xC on a sequence."
    attrs = (Attr("scale", "number+", doc="Scale factor: a number > 0 (usually an integer) or a ${...} expression."),
             Attr("mode", ("nearest", "bilinear"), "nearest", "Interpolation mode."))

    def infer(self, a, ins):
        if len(ins[0]) == 2:  # a sequence: the length scales
            return self.sequence(a["scale"], *ins[0])
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

    @staticmethod
    def sequence(s, length: int, c: int) -> tuple[int, int]:
        try:
            lo = math.floor(length * s)
        except OverflowError:
            raise ShapeError("NS215", f"upsample: length {length} scaled by {s!r} is larger than 2**63 - 1",
                             "scale") from None
        if lo < 1:
            raise ShapeError("NS204", f"upsample: scale {s!r} turns the length {length} into {lo}", "scale")
        return (lo, c)

    def cost(self, a, ins, out):
        n = numel(out)
        # bilinear: 4 multiplies and 3 adds per output; on a sequence it is linear: 2 multiplies, 1 add
        per = (7 if len(out) == 3 else 3) if a["mode"] == "bilinear" else 0
        return [("upsample", Cost(flops=per * n, input_reads=numel(ins[0]), output_writes=n,
                                  act_io=numel(ins[0]) + n))]

    def torch(self, layer, ins):
        mode = layer.attrs["mode"]
        extra = ", align_corners=False" if mode == "bilinear" else ""
        if mode == "bilinear" and len(ins[0]) == 2:
            mode = "linear"
        return TorchCode([f'nn.Upsample(scale_factor={torch_number(layer.attrs["scale"])}, mode="{mode}"{extra})'])


class ChannelShuffleOp(Op):
    """ShuffleNet's channel shuffle: the channels as a groups x (C / groups) grid, transposed."""

    type = "channel_shuffle"
    doc = "Channel shuffle (ShuffleNet): C channels in `groups` groups are interleaved. Same shape; a copy."
    attrs = (Attr("groups", "int+", doc="Number of channel groups; it must divide the input channels."),)

    def infer(self, a, ins):
        self.require_image(ins[0])
        c, g = ins[0][2], a["groups"]
        if c % g:
            raise ShapeError("NS205", f"channel_shuffle: input channels {c} are not divisible by groups {g}", "groups")
        return ins[0]

    def cost(self, a, ins, out):
        n = numel(out)
        return [("channel_shuffle", Cost(input_reads=n, output_writes=n, act_io=2 * n))]

    def torch(self, layer, ins):
        h, w, c = ins[0]
        g = layer.attrs["groups"]
        shuffle = f"{{0}}.view(-1, {g}, {c // g}, {h}, {w}).transpose(1, 2).reshape(-1, {c}, {h}, {w})"
        return TorchCode([], "{m}(%s)" % shuffle, inline=True)


register(FlattenOp(), UpsampleOp(), ChannelShuffleOp())
