"""Pooling: max/avg windows (ceil_mode as in PyTorch), adaptive pools and global pools to a vector.

FLOPs per output: max K×K − 1 comparisons, avg K×K (K×K − 1 adds and one divide). Memory: one read
per window element per output, one write per output; a global pool reads its input once.

On a sequence a pool is its 2-D rule on one row (`conv.as_image`); the export writes the 1d modules.
Adaptive pools (format 1.1) use PyTorch's windows: output i of o over an axis of n reads
positions floor(i·n/o) to ceil((i+1)·n/o) − 1, so windows differ in size and may overlap; FLOPs
and reads follow each window's size (max: size − 1 comparisons, avg: size − 1 adds and a divide).

PyTorch: `nn.MaxPool2d`/`nn.AvgPool2d` with `ceil_mode`; adaptive pools `nn.AdaptiveAvg/MaxPool1d/2d`;
uneven padding becomes an explicit pad (-inf for max, zeros for avg, i.e. `count_include_pad`); global pools `nn.AdaptiveMax/AvgPool`.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, numel, register, torch_pair
from .conv import KERNEL, PADDING_DOC, as_image, axis_pads, from_image, resolve_padding, spatial_out


class PoolOp(Op):
    attrs = (KERNEL, Attr("stride", "pair+", None, "Stride: an integer or [h, w] (an integer on a sequence); default: the "
                                                 "kernel size."),
             Attr("padding", "padding", "valid", PADDING_DOC),
             Attr("ceil_mode", "bool", False, "Round the output size up instead of down (as in PyTorch)."))

    def __init__(self, type_: str, extra_flop: int, doc: str) -> None:
        self.type = type_
        self.extra_flop = extra_flop  # avg: K·K per output; max: K·K − 1
        self.doc = doc
        # windowed max and average pooling are different kernels (PyTorch's CPU max pool is several
        # times slower per output); a global pool is one pass over its input (elementwise)
        self.family = "maxpool" if type_ == "maxpool" else "pool"

    @staticmethod
    def window(a: dict) -> dict:
        return {**a, "stride": a["stride"] or a["kernel"], "dilation": (1, 1)}

    def infer(self, a, ins):
        a, (h, w, c), axes = as_image(self.type, self.window(a), ins[0])
        for (pad_b, pad_a), k in zip(_explicit(a["padding"]), a["kernel"]):
            if max(pad_b, pad_a) * 2 > k:
                raise ShapeError("NS204", f"{self.type}: padding {max(pad_b, pad_a)} is more than half the "
                                 f"kernel {k} (a window would see only padding)", "padding")
        ho, wo, _ = spatial_out(self.type, a, h, w, a["ceil_mode"], axes)
        return from_image((ho, wo, c), ins[0])

    def cost(self, a, ins, out):
        kh, kw = as_image(self.type, a, ins[0])[0]["kernel"]
        outputs = numel(out)
        return [(self.type, Cost(flops=(kh * kw - 1 + self.extra_flop) * outputs, input_reads=kh * kw * outputs,
                                 output_writes=outputs, act_io=numel(ins[0]) + outputs))]

    def torch(self, layer, ins):
        a = layer.attrs
        win, (h, w, c), _ = as_image(self.type, {**a, "stride": a["stride"] or a["kernel"]}, ins[0])
        ho, wo, _ = (1, *layer.output) if len(ins[0]) == 2 else layer.output
        (ph, pw), explicit = pool_padding(win, h, w, ho, wo)
        dims = len(ins[0]) - 1
        arg = (lambda v: str(v[1])) if dims == 1 else torch_pair
        mods = []
        if explicit:
            explicit = explicit[:2 * dims]  # (left, right[, top, bottom])
            mods.append(f'nn.ConstantPad{dims}d({explicit}, float("-inf"))' if self.type == "maxpool"
                        else f"nn.ZeroPad{dims}d({explicit})")
        args = f"kernel_size={arg(win['kernel'])}"
        if win["stride"] != win["kernel"]:
            args += f", stride={arg(win['stride'])}"
        if (ph, pw) != (0, 0):
            args += f", padding={arg((ph, pw))}"
        if a["ceil_mode"]:
            args += ", ceil_mode=True"
        mods.append(f"nn.{'MaxPool' if self.type == 'maxpool' else 'AvgPool'}{dims}d({args})")
        return TorchCode(mods)


def torch_pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape (dilation 1)."""
    out = (size + 2 * p - (k - 1) - 1 + ((s - 1) if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool_padding(a: dict, h: int, w: int, ho: int, wo: int):
    """(torch padding (ph, pw), explicit (l, r, t, b) or None) for max/avg pool.

    Even padding is PyTorch's own, ceil rule included. Uneven padding is applied explicitly and
    the pool runs unpadded; under ceil_mode netspec's rule lets the last window start only in
    the input or the *left* padding, so the explicit right padding is trimmed until PyTorch's
    ceil rule gives the same count. The last window then overhangs instead of reading the trimmed
    pixels: the same maximum (they were -inf), an average over fewer padded zeros.
    """
    (kh, kw), (sh, sw) = a["kernel"], a["stride"]
    ph, pw = axis_pads(a["padding"])
    pads_h = resolve_padding(ph, h, kh, sh, 1)
    pads_w = resolve_padding(pw, w, kw, sw, 1)
    if pads_h[0] == pads_h[1] and pads_w[0] == pads_w[1]:
        return (pads_h[0], pads_w[0]), None
    explicit = []
    for (pb, pa), size, k, s, want in ((pads_h, h, kh, sh, ho), (pads_w, w, kw, sw, wo)):
        for after in range(pa, -1, -1):
            if torch_pool_out(size + pb + after, k, s, 0, a["ceil_mode"]) == want:
                break
        else:  # not reached for a graph netspec accepted; keep the written padding
            after = pa
        explicit.append((pb, after))
    (t, b), (l, r) = explicit
    return (0, 0), (l, r, t, b)


def _explicit(padding):
    """Explicit (before, after) pairs per axis; `same`/`valid` never over-pad."""
    return [p if isinstance(p, tuple) else (0, 0) for p in axis_pads(padding)]


def adaptive_windows(n: int, o: int) -> int:
    """The summed size of PyTorch's o adaptive windows over an axis of n."""
    return sum(-(-(i + 1) * n // o) - i * n // o for i in range(o))


class AdaptivePoolOp(Op):
    """PyTorch's adaptive pooling to a fixed output size, whatever the input size (VGG's 7x7)."""

    attrs = (Attr("size", "pair+", doc="Output size: an integer (both axes; a sequence's length) or [h, w] "
                                       "(images)."),)

    def __init__(self, type_: str, extra_flop: int, doc: str) -> None:
        self.type = type_
        self.extra_flop = extra_flop  # avg: one divide per output
        self.doc = doc
        self.family = "maxpool" if type_ == "adaptive_maxpool" else "pool"

    def infer(self, a, ins):
        shape = ins[0]
        if len(shape) == 3:
            return (*a["size"], shape[2])
        if len(shape) == 2:
            h, w = a["size"]
            if h != w:
                raise ShapeError("NS206", f"{self.type}: a sequence ({fmt_shape(shape)}) takes one output length, "
                                 f"got [{h}, {w}]", "size")
            return (h, shape[1])
        raise ShapeError("NS206", f"{self.type} needs an image or a sequence, got the vector {fmt_shape(shape)}",
                         "inputs")

    def cost(self, a, ins, out):
        shape, c = ins[0], ins[0][-1]
        reads = c
        for n, o in zip(shape[:-1], out[:-1]):
            reads *= adaptive_windows(n, o)
        outputs = numel(out)
        return [(self.type, Cost(flops=reads - outputs + self.extra_flop * outputs, input_reads=reads,
                                 output_writes=outputs, act_io=numel(shape) + outputs))]

    def torch(self, layer, ins):
        kind = "Avg" if self.type == "adaptive_avgpool" else "Max"
        out = layer.output
        size = torch_pair(out[:2]) if len(out) == 3 else str(out[0])
        return TorchCode([f"nn.Adaptive{kind}Pool{len(out) - 1}d({size})"])


class GlobalPoolOp(Op):
    def __init__(self, type_: str, extra_flop: int, doc: str) -> None:
        self.type = type_
        self.extra_flop = extra_flop  # avg: one divide per channel
        self.doc = doc

    def infer(self, a, ins):
        if len(ins[0]) == 1:
            raise ShapeError("NS206", f"{self.type} needs an image or a sequence, got the vector "
                             f"{fmt_shape(ins[0])}", "inputs")
        return (ins[0][-1],)

    def cost(self, a, ins, out):
        n = numel(ins[0])
        c = out[0]
        return [(self.type, Cost(flops=n - c + self.extra_flop * c, input_reads=n, output_writes=c, act_io=n + c))]

    def torch(self, layer, ins):
        kind = "Avg" if self.type == "global_avgpool" else "Max"
        return TorchCode([f"nn.Adaptive{kind}Pool{len(ins[0]) - 1}d(1)", "nn.Flatten()"])


register(PoolOp("maxpool", 0, "Max pooling over kernel windows. Output H'xW'xC (L'xC on a sequence)."),
         PoolOp("avgpool", 1, "Average pooling over kernel windows. Output H'xW'xC (L'xC on a sequence)."),
         AdaptivePoolOp("adaptive_avgpool", 1, "Adaptive average pooling to a fixed output size (PyTorch's "
                        "windows). Output size[0]xsize[1]xC (a sequence: size x C)."),
         AdaptivePoolOp("adaptive_maxpool", 0, "Adaptive max pooling to a fixed output size (PyTorch's windows). "
                        "Output size[0]xsize[1]xC (a sequence: size x C)."),
         GlobalPoolOp("global_avgpool", 1, "Global average pooling: an image or sequence becomes a vector of C."),
         GlobalPoolOp("global_maxpool", 0, "Global max pooling: an image or sequence becomes a vector of C."))

