"""Convolution family: conv (grouped, dilated), depthwise, separable (two rows) and deconv.

Cost rules (seed notes): MACCs = K×K×(Cin/groups)×Hout×Wout×Cout; FLOPs = (2n − 1) per output of
an n-term dot product, +1 with bias; weights = K×K×(Cin/groups)×Cout (+ Cout bias); sliding-window
input reads = one per MACC.

PyTorch: `nn.Conv2d` / `nn.ConvTranspose2d`; `same` or uneven padding becomes an explicit
`nn.ZeroPad2d` (TensorFlow's rule: the odd pixel after), an uneven deconv crop a negative one.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, TorchCode, register, torch_pair

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


FILTERS = Attr("filters", "int+", doc="Number of output channels (filters).")
KERNEL = Attr("kernel", "pair+", doc="Kernel size: an integer or [h, w] (elements may be ${...} expressions).")
PADDING_DOC = ("`same` (output = ceil(input / stride)), `valid` (no padding), or explicit pixels: an integer, "
               "[h, w] (each side of that axis) or [top, bottom, left, right].")
WINDOW = (Attr("stride", "pair+", (1, 1), "Stride: an integer or [h, w]."),
          Attr("padding", "padding", "same", PADDING_DOC),
          Attr("dilation", "pair+", (1, 1), "Dilation: an integer or [h, w]."))


def conv_padding(a: dict, h: int, w: int):
    """(torch padding (ph, pw), explicit (l, r, t, b) or None) for a conv-like window op."""
    _, _, pads = spatial_out("export", a, h, w)
    t, b, l, r = pads
    if t == b and l == r:
        return (t, l), None
    return (0, 0), (l, r, t, b)


def torch_conv(a: dict, shape, c_out: int, groups: int | None = None, bias: bool = True) -> list[str]:
    """[an explicit pad,] nn.Conv2d for a conv-like window op on an HxWxC input."""
    h, w, c = shape
    (ph, pw), explicit = conv_padding(a, h, w)
    mods = [f"nn.ZeroPad2d({explicit})"] if explicit else []
    window = f"kernel_size={torch_pair(a['kernel'])}"
    if a["stride"] != (1, 1):
        window += f", stride={torch_pair(a['stride'])}"
    if (ph, pw) != (0, 0):
        window += f", padding={torch_pair((ph, pw))}"
    if a["dilation"] != (1, 1):
        window += f", dilation={torch_pair(a['dilation'])}"
    g = f", groups={groups}" if groups is not None else ""
    mods.append(f"nn.Conv2d({c}, {c_out}, {window}{g}{'' if bias else ', bias=False'})")
    return mods


class ConvOp(Op):
    type = "conv"
    family = "conv"  # a grouped conv with one input channel per group counts as depthwise (latency.py)
    doc = "2-D convolution. Output H'xW'xfilters."
    attrs = (FILTERS, KERNEL, *WINDOW, Attr("groups", "int+", 1, "Grouped convolution: input and output channels "
                                            "are split into this many groups."))
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

    def torch(self, layer, ins):
        a = layer.attrs
        groups = a["groups"] if a["groups"] != 1 else None
        return TorchCode(torch_conv(a, ins[0], layer.output[2], groups, a["bias"]))


class DepthwiseOp(Op):
    type = "depthwise"
    family = "depthwise"
    doc = "Depthwise convolution: one kernel per input channel. Output H'xW'x(C*multiplier)."
    attrs = (KERNEL, *WINDOW, Attr("multiplier", "int+", 1, "Channel multiplier: output channels per input channel."))
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

    def torch(self, layer, ins):
        a = layer.attrs
        return TorchCode(torch_conv(a, ins[0], layer.output[2], ins[0][2], a["bias"]))


class SeparableOp(Op):
    """Depthwise K×K (no bias) then pointwise 1×1 to `filters`; reported as two rows."""

    type = "separable"
    doc = "Depthwise-separable convolution: a depthwise conv then a 1x1 conv, reported as two rows."
    part_family = {"depthwise": "depthwise", "pointwise": "conv"}
    attrs = (FILTERS, KERNEL, *WINDOW)
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

    def torch(self, layer, ins):
        c = ins[0][2]
        mods = torch_conv(layer.attrs, ins[0], c, c, bias=False)
        mods.append(f"nn.Conv2d({c}, {layer.output[2]}, kernel_size=1{'' if layer.attrs['bias'] else ', bias=False'})")
        return TorchCode(mods)


class DeconvOp(Op):
    """Transposed convolution: out = (in − 1)·s − pads + d·(k − 1) + output_padding + 1.

    `same` gives out = in·s. Each input element is scattered through the whole kernel:
    MACCs = Hin×Win×Cin×K×K×Cout (as PyTorch counts), FLOPs = 2·MACCs (+ outputs with bias).
    """

    type = "deconv"
    family = "conv"
    doc = "Transposed (fractionally strided) 2-D convolution."
    attrs = (FILTERS, KERNEL, *WINDOW, Attr("output_padding", "pair0", (0, 0), "Extra rows/columns added to one "
                                            "side of the output: an integer >= 0 or [h, w]."))
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

    def torch(self, layer, ins):
        a = layer.attrs
        h, w, c = ins[0]
        _, (pt, pb, pl, pr) = self.crops(a, h, w)
        even = pt == pb and pl == pr
        args = f"{c}, {layer.output[2]}, kernel_size={torch_pair(a['kernel'])}"
        if a["stride"] != (1, 1):
            args += f", stride={torch_pair(a['stride'])}"
        if even and (pt, pl) != (0, 0):
            args += f", padding={torch_pair((pt, pl))}"
        if a["output_padding"] != (0, 0):
            args += f", output_padding={torch_pair(a['output_padding'])}"
        if a["dilation"] != (1, 1):
            args += f", dilation={torch_pair(a['dilation'])}"
        if not a["bias"]:
            args += ", bias=False"
        mods = [f"nn.ConvTranspose2d({args})"]
        if not even:
            mods.append(f"nn.ZeroPad2d({(-pl, -pr, -pt, -pb)})")  # crop (left, right, top, bottom)
        return TorchCode(mods)


register(ConvOp(), DepthwiseOp(), SeparableOp(), DeconvOp())

