"""Convolution family: conv (grouped, dilated), depthwise, separable (two rows) and deconv.

Cost rules (seed notes): MACCs = K×K×(Cin/groups)×Hout×Wout×Cout; FLOPs = (2n − 1) per output of
an n-term dot product, +1 with bias; weights = K×K×(Cin/groups)×Cout (+ Cout bias); sliding-window
input reads = one per MACC.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, register

def resolve_padding(padding, size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """(before, after) padding of one axis; `same` pads like TensorFlow (extra on the after side)."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
        return total // 2, total - total // 2
    return padding


def axis_pads(padding) -> tuple:
    """Split a normalised padding ('same'|'valid'|(t, b, l, r)) into per-axis specs."""
    if isinstance(padding, str):
        return padding, padding
    t, b, l, r = padding
    return (t, b), (l, r)


def window_out(op: str, axis: str, size: int, k: int, s: int, d: int, pads: tuple[int, int],
               ceil_mode: bool = False) -> int:
    """Output length of a sliding window; the formula of the contract (PyTorch's, ceil rule included)."""
    pb, pa = pads
    eff = d * (k - 1) + 1
    padded = size + pb + pa
    span = padded - eff
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + pb:
        out -= 1
    # Under ceil_mode a window may overhang the padded input (PyTorch: 1x1 input, kernel 2, stride 2 -> 1x1).
    if eff > padded and (not ceil_mode or out <= 0):
        dil = f" (dilated {eff})" if d > 1 else ""
        raise ShapeError("NS204", f"{op}: kernel {k}{dil} is larger than the padded input {axis} {padded}",
                         "kernel")
    if out <= 0:
        raise ShapeError("NS204", f"{op}: output {axis} would be {out}", "kernel")
    return out


_SPATIAL: dict = {}  # memo of _spatial_out: a network repeats the same few window geometries


def spatial_out(op: str, a: dict, h: int, w: int, ceil_mode: bool = False) -> tuple[int, int, tuple]:
    """Output (H, W) and the explicit (t, b, l, r) padding of a 2-D window op (memoised; errors are not)."""
    try:
        key = (op, a["kernel"], a["stride"], a["dilation"], a["padding"], h, w, ceil_mode)
        hit = _SPATIAL.get(key)
    except TypeError:  # an unhashable attribute: just compute
        return _spatial_out(op, a, h, w, ceil_mode)
    if hit is None:
        hit = _spatial_out(op, a, h, w, ceil_mode)
        if len(_SPATIAL) >= 4096:
            _SPATIAL.clear()
        _SPATIAL[key] = hit
    return hit


def _spatial_out(op: str, a: dict, h: int, w: int, ceil_mode: bool = False) -> tuple[int, int, tuple]:
    """Output (H, W) and the explicit (t, b, l, r) padding of a 2-D window op."""
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
    ph, pw = axis_pads(a["padding"])
    pads_h = resolve_padding(ph, h, kh, sh, dh)
    pads_w = resolve_padding(pw, w, kw, sw, dw)
    ho = window_out(op, "height", h, kh, sh, dh, pads_h, ceil_mode)
    wo = window_out(op, "width", w, kw, sw, dw, pads_w, ceil_mode)
    return ho, wo, pads_h + pads_w


def dot_cost(label: str, n: int, outputs: int, weights: int, bias: bool, in_elems: int, channels_out: int) -> Cost:
    """A layer of `outputs` dot products of `n` terms each."""
    maccs = n * outputs
    return Cost(params=weights + (channels_out if bias else 0), maccs=maccs,
                flops=(2 * n - 1 + (1 if bias else 0)) * outputs,
                input_reads=maccs, output_writes=outputs, act_io=in_elems + outputs)


WINDOW = (Attr("stride", "pair+", (1, 1)), Attr("padding", "padding", "same"), Attr("dilation", "pair+", (1, 1)))


class ConvOp(Op):
    type = "conv"
    attrs = (Attr("filters", "int+"), Attr("kernel", "pair+"), *WINDOW, Attr("groups", "int+", 1))
    has_bias = True

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        g, f = a["groups"], a["filters"]
        if c % g:
            raise ShapeError("NS205", f"conv: input channels {c} are not divisible by groups {g}", "groups")
        if f % g:
            raise ShapeError("NS205", f"conv: filters {f} are not divisible by groups {g}", "groups")
        ho, wo, _ = spatial_out("conv", a, h, w)
        return (ho, wo, f)

    def cost(self, a, ins, out):
        h, w, c = ins[0]
        kh, kw = a["kernel"]
        g, f = a["groups"], a["filters"]
        n = kh * kw * (c // g)
        return [("conv", dot_cost("conv", n, out[0] * out[1] * f, n * f, a["bias"], h * w * c, f))]


class DepthwiseOp(Op):
    type = "depthwise"
    attrs = (Attr("kernel", "pair+"), *WINDOW, Attr("multiplier", "int+", 1))
    has_bias = True

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, c = ins[0]
        ho, wo, _ = spatial_out("depthwise", a, h, w)
        return (ho, wo, c * a["multiplier"])

    def cost(self, a, ins, out):
        h, w, c = ins[0]
        kh, kw = a["kernel"]
        co = out[2]
        n = kh * kw
        return [("depthwise", dot_cost("depthwise", n, out[0] * out[1] * co, n * co, a["bias"], h * w * c, co))]


class SeparableOp(Op):
    """Depthwise K×K (no bias) then pointwise 1×1 to `filters`; reported as two rows."""

    type = "separable"
    attrs = (Attr("filters", "int+"), Attr("kernel", "pair+"), *WINDOW)
    has_bias = True

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, _ = ins[0]
        ho, wo, _ = spatial_out("separable", a, h, w)
        return (ho, wo, a["filters"])

    def cost(self, a, ins, out):
        h, w, c = ins[0]
        kh, kw = a["kernel"]
        ho, wo, f = out
        mid = ho * wo * c
        dw = dot_cost("depthwise", kh * kw, mid, kh * kw * c, False, h * w * c, c)
        pw = dot_cost("pointwise", c, ho * wo * f, c * f, a["bias"], mid, f)
        return [("depthwise", dw), ("pointwise", pw)]


class DeconvOp(Op):
    """Transposed convolution: out = (in − 1)·s − pads + d·(k − 1) + output_padding + 1.

    `same` gives out = in·s. Each input element is scattered through the whole kernel:
    MACCs = Hin×Win×Cin×K×K×Cout (as PyTorch counts), FLOPs = 2·MACCs (+ outputs with bias).
    """

    type = "deconv"
    attrs = (Attr("filters", "int+"), Attr("kernel", "pair+"), *WINDOW, Attr("output_padding", "pair0", (0, 0)))
    has_bias = True

    def infer(self, a, ins):
        self.require_image(ins[0])
        h, w, _ = ins[0]
        return (*self.crops(a, h, w)[0], a["filters"])

    @staticmethod
    def crops(a, h, w):
        """Output (H, W) and the (t, b, l, r) cropping of the full scatter."""
        (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
        oph, opw = a["output_padding"]
        sizes, pads = [], []
        for axis, n, k, s, d, op, pad in (("height", h, kh, sh, dh, oph, axis_pads(a["padding"])[0]),
                                          ("width", w, kw, sw, dw, opw, axis_pads(a["padding"])[1])):
            if op >= max(s, d):
                raise ShapeError("NS204", f"deconv: output_padding {op} must be smaller than the stride or "
                                 f"the dilation", "output_padding")
            full = (n - 1) * s + d * (k - 1) + 1 + op
            if pad == "same":
                total = full - n * s
                if total < 0:
                    raise ShapeError("NS204", f"deconv: padding `same` needs kernel >= stride on the {axis}",
                                     "kernel")
                pb, pa = total // 2, total - total // 2
            elif pad == "valid":
                pb, pa = 0, 0
            else:
                pb, pa = pad
            out = full - pb - pa
            if out <= 0:
                raise ShapeError("NS204", f"deconv: output {axis} would be {out}", "padding")
            sizes.append(out)
            pads += [pb, pa]
        return tuple(sizes), tuple(pads)

    def cost(self, a, ins, out):
        h, w, c = ins[0]
        kh, kw = a["kernel"]
        f = a["filters"]
        maccs = h * w * c * kh * kw * f
        outputs = out[0] * out[1] * f
        bias = a["bias"]
        return [("deconv", Cost(params=kh * kw * c * f + (f if bias else 0), maccs=maccs,
                                flops=2 * maccs + (outputs if bias else 0), input_reads=maccs,
                                output_writes=outputs, act_io=h * w * c + outputs))]


register(ConvOp(), DepthwiseOp(), SeparableOp(), DeconvOp())

