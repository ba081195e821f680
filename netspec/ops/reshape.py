"""Ops that change the layout: flatten, to_sequence and to_image (free views), upsample,
channel_shuffle and space_to_depth / depth_to_space (copies).

upsample: nearest costs no FLOPs, bilinear 7 per output element (4 multiplies, 3 adds) on an image
and 3 on a sequence, where it interpolates linearly along the length (PyTorch's `linear`), bicubic
31 (16 multiplies, 15 adds); it reads every input element and writes every output element.
channel_shuffle (format 1.1, ShuffleNet): no FLOPs and no parameters, a copy that reads and writes
every element. space_to_depth / depth_to_space move every element once too (read and written, no
FLOPs).

PyTorch: flatten in HxWxC order (permuted to channels-last first, so a following Linear matches);
upsample is `nn.Upsample`; channel_shuffle is torchvision's view / transpose / reshape, written
in the forward pass; to_sequence `nn.Flatten(2)` and to_image `nn.Unflatten(2, (H, W))` on the
channels-first tensor (positions in row-major order); space_to_depth `nn.PixelUnshuffle` and
depth_to_space `nn.PixelShuffle` (their channel order: channel c of the block's pixel (i, j) is
c·b² + i·b + j).
"""

from __future__ import annotations

import math

from .base import (Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, kind_of, numel, register, to_channels_last,
                   torch_number, torch_pair)


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
    """Upsampling to `size`, or by `scale` (one factor or [sh, sw]): output floor(H·sh) x floor(W·sw),
    as PyTorch's nn.Upsample computes it."""

    type = "upsample"
    doc = ("Upsampling by a factor (`scale`: a number or [sh, sw]) or to a `size` ([h, w]). Output "
           "(H*sh)x(W*sw)xC or size[0]xsize[1]xC, or (L*scale)xC on a sequence.")
    attrs = (Attr("scale", "scale", None, "Scale factor: a number > 0 (usually an integer) or [sh, sw] per axis."),
             Attr("size", "pair+", None, "Output size instead of `scale`: an integer or [h, w]."),
             Attr("mode", ("nearest", "bilinear", "bicubic"), "nearest", "Interpolation mode."))

    @staticmethod
    def factors(a) -> tuple:
        s = a["scale"]
        return tuple(s) if isinstance(s, (list, tuple)) else (s, s)

    def infer(self, a, ins):
        if (a["scale"] is None) == (a["size"] is None):
            if a["scale"] is None:
                raise ShapeError("NS102", "upsample needs `scale` or `size`", "type")
            raise ShapeError("NS104", "upsample: give `scale` or `size`, not both", "size")
        if len(ins[0]) == 2:  # a sequence: the length scales
            return self.sequence(a, *ins[0])
        self.require_image(ins[0])
        h, w, c = ins[0]
        if a["size"] is not None:
            return (*a["size"], c)
        sh, sw = self.factors(a)
        try:
            ho, wo = math.floor(h * sh), math.floor(w * sw)
        except OverflowError:  # 1e308 * 8 is inf
            raise ShapeError("NS215", f"upsample: {h}x{w} scaled by {a['scale']!r} is larger than 2**63 - 1",
                             "scale") from None
        if ho < 1 or wo < 1:
            raise ShapeError("NS204", f"upsample: scale {a['scale']!r} turns {h}x{w} into an empty {ho}x{wo}", "scale")
        return (ho, wo, c)

    def sequence(self, a, length: int, c: int) -> tuple[int, int]:
        """A sequence's upsampled length: one `size` or one `scale` factor, no bicubic (images only)."""
        if a["mode"] == "bicubic":
            raise ShapeError("NS206", f"upsample: bicubic needs an image, got the sequence {length}x{c}", "mode")
        if a["size"] is not None:
            if a["size"][0] != a["size"][1]:
                raise ShapeError("NS206", f"upsample: a sequence ({length}x{c}) takes one output length, got "
                                 f"[{a['size'][0]}, {a['size'][1]}]", "size")
            return (a["size"][0], c)
        s = a["scale"]
        if isinstance(s, tuple):
            raise ShapeError("NS206", f"upsample: a sequence ({length}x{c}) takes one scale factor, got "
                             f"[{s[0]}, {s[1]}]", "scale")
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
        per = FLOPS_PER_OUTPUT[a["mode"]]
        if len(out) == 2 and a["mode"] == "bilinear":  # linear along the length: 2 multiplies, 1 add
            per = 3
        return [("upsample", Cost(flops=per * n, input_reads=numel(ins[0]), output_writes=n,
                                  act_io=numel(ins[0]) + n))]

    def torch(self, layer, ins):
        a = layer.attrs
        mode = a["mode"]
        extra = ", align_corners=False" if mode != "nearest" else ""
        if mode == "bilinear" and len(ins[0]) == 2:
            mode = "linear"
        if a["size"] is not None:
            how = f"size={torch_pair(a['size']) if len(ins[0]) == 3 else a['size'][0]}"
        else:
            sh, sw = self.factors(a)
            how = f"scale_factor={torch_number(sh)}" if sh == sw else \
                f"scale_factor=({torch_number(sh)}, {torch_number(sw)})"
        return TorchCode([f'nn.Upsample({how}, mode="{mode}"{extra})'])


# FLOPs per output element: nearest copies; bilinear weighs 4 neighbours (4 multiplies, 3 adds);
# bicubic 16 (16 multiplies, 15 adds)
FLOPS_PER_OUTPUT = {"nearest": 0, "bilinear": 7, "bicubic": 31}


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


class ToSequenceOp(Op):
    type = "to_sequence"
    doc = "An image as a sequence of its H*W positions in row-major order: (H*W)xC. A view: no cost."
    is_view = True

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        return (h * w, c)

    def torch(self, layer, ins):
        return TorchCode(["nn.Flatten(2)"])


class ToImageOp(Op):
    type = "to_image"
    doc = "A sequence of H*W positions (row-major) as an image HxWxC. A view: no cost."
    attrs = (Attr("height", "int+", doc="Image height H (H*W must equal the sequence length)."),
             Attr("width", "int+", doc="Image width W (H*W must equal the sequence length)."))
    is_view = True

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) != 2:
            raise ShapeError("NS206", f"to_image needs a sequence (LxC) input, got the {kind_of(shape)} "
                             f"{fmt_shape(shape)}", "inputs")
        h, w = a["height"], a["width"]
        if h * w != shape[0]:
            raise ShapeError("NS203", f"to_image: {h}x{w} is {h * w:,} positions, but the sequence "
                             f"{fmt_shape(shape)} has {shape[0]:,}", "height")
        return (h, w, shape[1])

    def torch(self, layer, ins):
        return TorchCode([f"nn.Unflatten(2, ({layer.attrs['height']}, {layer.attrs['width']}))"])


class SpaceToDepthOp(Op):
    type = "space_to_depth"
    doc = "Each bxb block of pixels side by side on the channels: (H/b)x(W/b)x(C*b*b). A copy."
    attrs = (Attr("block", "int+", doc="Block size b (H and W must be multiples of it)."),)

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        b = a["block"]
        if h % b or w % b:
            raise ShapeError("NS204", f"space_to_depth: block {b} does not tile the {h}x{w} image (H and W must "
                             f"be multiples of {b})", "block")
        return (h // b, w // b, c * b * b)

    def cost(self, a, ins, out):
        return [(self.type, copy_cost(numel(out)))]

    def torch(self, layer, ins):
        return TorchCode([f"nn.PixelUnshuffle({layer.attrs['block']})"])


class DepthToSpaceOp(SpaceToDepthOp):
    type = "depth_to_space"
    doc = "The channels spread over bxb blocks of pixels: (H*b)x(W*b)x(C/(b*b)). A copy."
    attrs = (Attr("block", "int+", doc="Block size b (C must be a multiple of b*b)."),)

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        b = a["block"]
        if c % (b * b):
            raise ShapeError("NS205", f"depth_to_space: {c} channels do not split into {b}x{b} blocks (C must be a "
                             f"multiple of {b * b})", "block")
        return (h * b, w * b, c // (b * b))

    def torch(self, layer, ins):
        return TorchCode([f"nn.PixelShuffle({layer.attrs['block']})"])


def copy_cost(n: int) -> Cost:
    """A copy of n elements: each read once and written once, no arithmetic."""
    return Cost(input_reads=n, output_writes=n, act_io=2 * n)


register(ToSequenceOp(), ToImageOp(), SpaceToDepthOp(), DepthToSpaceOp())
