"""Pooling: max/avg windows (ceil_mode as in PyTorch) and global pools to a vector.

FLOPs per output: max K×K − 1 comparisons, avg K×K (K×K − 1 adds and one divide). Memory: one read
per window element per output, one write per output; a global pool reads its input once.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, fmt_shape, numel, register
from .conv import axis_pads, spatial_out


class PoolOp(Op):
    attrs = (Attr("kernel", "pair+"), Attr("stride", "pair+", None), Attr("padding", "padding", "valid"),
             Attr("ceil_mode", "bool", False))

    def __init__(self, type_: str, extra_flop: int) -> None:
        self.type = type_
        self.extra_flop = extra_flop  # avg: K·K per output; max: K·K − 1

    @staticmethod
    def window(a: dict) -> dict:
        return {**a, "stride": a["stride"] or a["kernel"], "dilation": (1, 1)}

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        a = self.window(a)
        for (pad_b, pad_a), k in zip(_explicit(a["padding"]), a["kernel"]):
            if max(pad_b, pad_a) * 2 > k:
                raise ShapeError("NS204", f"{self.type}: padding {max(pad_b, pad_a)} is more than half the "
                                 f"kernel {k} (a window would see only padding)", "padding")
        ho, wo, _ = spatial_out(self.type, a, h, w, a["ceil_mode"])
        return (ho, wo, c)

    def cost(self, a, ins, out):
        kh, kw = a["kernel"]
        outputs = numel(out)
        return [(self.type, Cost(flops=(kh * kw - 1 + self.extra_flop) * outputs, input_reads=kh * kw * outputs,
                                 output_writes=outputs, act_io=numel(ins[0]) + outputs))]


def _explicit(padding):
    """Explicit (before, after) pairs per axis; `same`/`valid` never over-pad."""
    return [p if isinstance(p, tuple) else (0, 0) for p in axis_pads(padding)]


class GlobalPoolOp(Op):
    def __init__(self, type_: str, extra_flop: int) -> None:
        self.type = type_
        self.extra_flop = extra_flop  # avg: one divide per channel

    def infer(self, a, ins):
        if len(ins[0]) == 1:
            raise ShapeError("NS206", f"{self.type} needs an image or a sequence, got the vector "
                             f"{fmt_shape(ins[0])}", "inputs")
        return (ins[0][-1],)

    def cost(self, a, ins, out):
        n = numel(ins[0])
        c = out[0]
        return [(self.type, Cost(flops=n - c + self.extra_flop * c, input_reads=n, output_writes=c, act_io=n + c))]


register(PoolOp("maxpool", 0), PoolOp("avgpool", 1), GlobalPoolOp("global_avgpool", 1),
         GlobalPoolOp("global_maxpool", 0))

