"""Convolution family: conv (grouped, dilated), depthwise, separable (two rows) and deconv.

On a sequence (LxC, format 1.1) each op is its 2-D rule on one row: the sequence is read as the
image 1xLxC with the window on the width (`as_image`), so shapes, costs and their checks are the
image ones; the export writes `nn.Conv1d` / `nn.ConvTranspose1d`.

Cost rules (seed notes): MACCs = K×K×(Cin/groups)×Hout×Wout×Cout; FLOPs = (2n − 1) per output of
an n-term dot product, +1 with bias; weights = K×K×(Cin/groups)×Cout (+ Cout bias); sliding-window
input reads = one per MACC.

PyTorch: `nn.Conv2d` / `nn.ConvTranspose2d`; `same` or uneven padding becomes an explicit
`nn.ZeroPad2d` (TensorFlow's rule: the odd pixel after), an uneven deconv crop a negative one.
"""

from __future__ import annotations

from .base import Attr, Cost, Op, ShapeError, TorchCode, fmt_shape, numel, register, torch_pair

AXES = ("height", "width")  # the axes a 2-D window's messages name
SEQUENCE_AXES = ("height", "length")  # ... on a sequence read as a 1xL image (its height never fails)
WINDOW_PAIRS = ("kernel", "stride", "dilation", "output_padding")


def as_image(op: str, a: dict, shape) -> tuple[dict, tuple, tuple[str, str]]:
    """(attributes, shape, axis names) of a window op's 2-D rule: an image as it is; a sequence LxC
    as the image 1xLxC, each window attribute on the width (kernel k -> (1, k), padding p or
    [before, after] -> (0, 0, before, after)); a vector is NS206."""
    if len(shape) == 3:
        return a, shape, AXES
    if len(shape) != 2:
        raise ShapeError("NS206", f"{op} needs an image (HxWxC) or a sequence (LxC) input, got the "
                         f"vector {fmt_shape(shape)}", "inputs")
    one = dict(a)
    for key in WINDOW_PAIRS:
        v = a.get(key)
        if v is None:
            continue
        if v[0] != v[1]:
            raise ShapeError("NS206", f"{op}: a sequence takes an integer {key}, got [{v[0]}, {v[1]}] "
                             f"(a pair is for images)", key)
        one[key] = (1 if key != "output_padding" else 0, v[1])
    pad = a.get("padding")
    if isinstance(pad, tuple):
        t, b, l, r = pad
        if t != b or l != r:
            raise ShapeError("NS206", f"{op}: padding on a sequence is same, valid, an integer or "
                             f"[before, after]; got four values", "padding")
        one["padding"] = (0, 0, t, l)
    return one, (1, *shape), SEQUENCE_AXES


def from_image(out: tuple, shape) -> tuple:
    """The op's output in the input's kind: (1, L, C) back to (L, C) for a sequence."""
    return out if len(shape) == 3 else out[1:]


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


def spatial_out(op: str, a: dict, h: int, w: int, ceil_mode: bool = False,
                axes: tuple[str, str] = AXES) -> tuple[int, int, tuple]:
    """Output (H, W) and the explicit (t, b, l, r) padding of a 2-D window op (memoised; errors are not)."""
    try:
        key = (op, a["kernel"], a["stride"], a["dilation"], a["padding"], h, w, ceil_mode, axes)
        hit = _SPATIAL.get(key)
    except TypeError:  # an unhashable attribute: just compute
        return _spatial_out(op, a, h, w, ceil_mode, axes)
    if hit is None:
        hit = _spatial_out(op, a, h, w, ceil_mode, axes)
        if len(_SPATIAL) >= 4096:
            _SPATIAL.clear()
        _SPATIAL[key] = hit
    return hit


def _spatial_out(op: str, a: dict, h: int, w: int, ceil_mode: bool = False,
                 axes: tuple[str, str] = AXES) -> tuple[int, int, tuple]:
    """Output (H, W) and the explicit (t, b, l, r) padding of a 2-D window op."""
    (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
    ph, pw = axis_pads(a["padding"])
    pads_h = resolve_padding(ph, h, kh, sh, dh)
    pads_w = resolve_padding(pw, w, kw, sw, dw)
    ho = window_out(op, axes[0], h, kh, sh, dh, pads_h, ceil_mode)
    wo = window_out(op, axes[1], w, kw, sw, dw, pads_w, ceil_mode)
    return ho, wo, pads_h + pads_w


def dot_cost(label: str, n: int, outputs: int, weights: int, bias: bool, in_elems: int, channels_out: int) -> Cost:
    """A layer of `outputs` dot products of `n` terms each."""
    maccs = n * outputs
    return Cost(params=weights + (channels_out if bias else 0), maccs=maccs,
                flops=(2 * n - 1 + (1 if bias else 0)) * outputs,
                input_reads=maccs, output_writes=outputs, act_io=in_elems + outputs)


FILTERS = Attr("filters", "int+", doc="Number of output channels (filters).")
KERNEL = Attr("kernel", "pair+", doc="Kernel size: an integer or [h, w] (elements may be ${...} expressions); "
               "an integer on a sequence.")
PADDING_DOC = ("`same` (output = ceil(input / stride)), `valid` (no padding), or explicit pixels: an integer, "
               "[h, w] (each side of that axis) or [top, bottom, left, right]; on a sequence an integer or "
               "[before, after].")
WINDOW = (Attr("stride", "pair+", (1, 1), "Stride: an integer or [h, w] (an integer on a sequence)."),
          Attr("padding", "padding", "same", PADDING_DOC),
          Attr("dilation", "pair+", (1, 1), "Dilation: an integer or [h, w] (an integer on a sequence)."))


def conv_padding(a: dict, h: int, w: int):
    """(torch padding (ph, pw), explicit (l, r, t, b) or None) for a conv-like window op."""
    _, _, pads = spatial_out("export", a, h, w)
    t, b, l, r = pads
    if t == b and l == r:
        return (t, l), None
    return (0, 0), (l, r, t, b)


def torch_conv(a: dict, shape, c_out: int, groups: int | None = None, bias: bool = True) -> list[str]:
    """[an explicit pad,] nn.Conv2d (nn.Conv1d on a sequence) for a conv-like window op."""
    one, (h, w, c), _ = as_image("export", a, shape)
    (ph, pw), explicit = conv_padding(one, h, w)
    seq = len(shape) == 2
    arg = (lambda v: str(v[1])) if seq else torch_pair
    mods = []
    if explicit:
        mods.append(f"nn.ZeroPad1d({explicit[:2]})" if seq else f"nn.ZeroPad2d({explicit})")
    window = f"kernel_size={arg(one['kernel'])}"
    if one["stride"] != (1, 1):
        window += f", stride={arg(one['stride'])}"
    if (ph, pw) != (0, 0):
        window += f", padding={arg((ph, pw))}"
    if one["dilation"] != (1, 1):
        window += f", dilation={arg(one['dilation'])}"
    g = f", groups={groups}" if groups is not None else ""
    mods.append(f"nn.Conv{len(shape) - 1}d({c}, {c_out}, {window}{g}{'' if bias else ', bias=False'})")
    return mods


class ConvOp(Op):
    type = "conv"
    family = "conv"  # a grouped conv with one input channel per group counts as depthwise (latency.py)
    doc = "Convolution: 2-D on an image (output H'xW'xfilters), 1-D on a sequence (L'xfilters)."
    attrs = (FILTERS, KERNEL, *WINDOW, Attr("groups", "int+", 1, "Grouped convolution: input and output channels "
                                            "are split into this many groups."))
    has_bias = True

    def infer(self, a, ins):
        a, (h, w, c), axes = as_image("conv", a, ins[0])
        g, f = a["groups"], a["filters"]
        if c % g:
            raise ShapeError("NS205", f"conv: input channels {c} are not divisible by groups {g}", "groups")
        if f % g:
            raise ShapeError("NS205", f"conv: filters {f} are not divisible by groups {g}", "groups")
        ho, wo, _ = spatial_out("conv", a, h, w, axes=axes)
        return from_image((ho, wo, f), ins[0])

    def cost(self, a, ins, out):
        a, (h, w, c), _ = as_image("conv", a, ins[0])
        kh, kw = a["kernel"]
        g, f = a["groups"], a["filters"]
        n = kh * kw * (c // g)
        return [("conv", dot_cost("conv", n, numel(out), n * f, a["bias"], h * w * c, f))]

    def torch(self, layer, ins):
        a = layer.attrs
        groups = a["groups"] if a["groups"] != 1 else None
        return TorchCode(torch_conv(a, ins[0], layer.output[-1], groups, a["bias"]))


class DepthwiseOp(Op):
    type = "depthwise"
    family = "depthwise"
    doc = ("Depthwise convolution: one kernel per input channel. Output H'xW'x(C*multiplier), or L'x(C*multiplier) "
           "on a sequence.")
    attrs = (KERNEL, *WINDOW, Attr("multiplier", "int+", 1, "Channel multiplier: output channels per input channel."))
    has_bias = True

    def infer(self, a, ins):
        a, (h, w, c), axes = as_image("depthwise", a, ins[0])
        ho, wo, _ = spatial_out("depthwise", a, h, w, axes=axes)
        return from_image((ho, wo, c * a["multiplier"]), ins[0])

    def cost(self, a, ins, out):
        a, (h, w, c), _ = as_image("depthwise", a, ins[0])
        kh, kw = a["kernel"]
        co = out[-1]
        n = kh * kw
        return [("depthwise", dot_cost("depthwise", n, numel(out), n * co, a["bias"], h * w * c, co))]

    def torch(self, layer, ins):
        a = layer.attrs
        return TorchCode(torch_conv(a, ins[0], layer.output[-1], ins[0][-1], a["bias"]))


class SeparableOp(Op):
    """Depthwise K×K (no bias) then pointwise 1×1 to `filters`; reported as two rows."""

    type = "separable"
    doc = "Depthwise-separable convolution: a depthwise conv then a 1x1 conv, reported as two rows."
    part_family = {"depthwise": "depthwise", "pointwise": "conv"}
    attrs = (FILTERS, KERNEL, *WINDOW)
    has_bias = True

    def infer(self, a, ins):
        a, (h, w, _), axes = as_image("separable", a, ins[0])
        ho, wo, _ = spatial_out("separable", a, h, w, axes=axes)
        return from_image((ho, wo, a["filters"]), ins[0])

    def cost(self, a, ins, out):
        a, (h, w, c), _ = as_image("separable", a, ins[0])
        kh, kw = a["kernel"]
        f = out[-1]
        positions = numel(out) // f
        mid = positions * c
        dw = dot_cost("depthwise", kh * kw, mid, kh * kw * c, False, h * w * c, c)
        pw = dot_cost("pointwise", c, positions * f, c * f, a["bias"], mid, f)
        return [("depthwise", dw), ("pointwise", pw)]

    def torch(self, layer, ins):
        c = ins[0][-1]
        mods = torch_conv(layer.attrs, ins[0], c, c, bias=False)
        mods.append(f"nn.Conv{len(ins[0]) - 1}d({c}, {layer.output[-1]}, kernel_size=1"
                    f"{'' if layer.attrs['bias'] else ', bias=False'})")
        return TorchCode(mods)


class DeconvOp(Op):
    """Transposed convolution: out = (in − 1)·s − pads + d·(k − 1) + output_padding + 1.

    `same` gives out = in·s. Each input element is scattered through the whole kernel:
    MACCs = Hin×Win×Cin×K×K×Cout (as PyTorch counts), FLOPs = 2·MACCs (+ outputs with bias).
    """

    type = "deconv"
    family = "conv"
    doc = "Transposed (fractionally strided) convolution: 2-D on an image, 1-D on a sequence."
    attrs = (FILTERS, KERNEL, *WINDOW, Attr("output_padding", "pair0", (0, 0), "Extra rows/columns added to one "
                                            "side of the output: an integer >= 0 or [h, w]."))
    has_bias = True

    def infer(self, a, ins):
        a, (h, w, _), axes = as_image("deconv", a, ins[0])
        return from_image((*self.crops(a, h, w, axes)[0], a["filters"]), ins[0])

    @staticmethod
    def crops(a, h, w, axes=AXES):
        """Output (H, W) and the (t, b, l, r) cropping of the full scatter."""
        (kh, kw), (sh, sw), (dh, dw) = a["kernel"], a["stride"], a["dilation"]
        oph, opw = a["output_padding"]
        sizes, pads = [], []
        for axis, n, k, s, d, op, pad in ((axes[0], h, kh, sh, dh, oph, axis_pads(a["padding"])[0]),
                                          (axes[1], w, kw, sw, dw, opw, axis_pads(a["padding"])[1])):
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
        a, (h, w, c), _ = as_image("deconv", a, ins[0])
        kh, kw = a["kernel"]
        f = a["filters"]
        maccs = h * w * c * kh * kw * f
        outputs = numel(out)
        bias = a["bias"]
        return [("deconv", Cost(params=kh * kw * c * f + (f if bias else 0), maccs=maccs,
                                flops=2 * maccs + (outputs if bias else 0), input_reads=maccs,
                                output_writes=outputs, act_io=h * w * c + outputs))]

    def torch(self, layer, ins):
        a, (h, w, c), _ = as_image("deconv", layer.attrs, ins[0])
        seq = len(ins[0]) == 2
        arg = (lambda v: str(v[1])) if seq else torch_pair
        _, (pt, pb, pl, pr) = self.crops(a, h, w)
        even = pt == pb and pl == pr
        args = f"{c}, {layer.output[-1]}, kernel_size={arg(a['kernel'])}"
        if a["stride"] != (1, 1):
            args += f", stride={arg(a['stride'])}"
        if even and (pt, pl) != (0, 0):
            args += f", padding={arg((pt, pl))}"
        if a["output_padding"] != (0, 0):
            args += f", output_padding={arg(a['output_padding'])}"
        if a["dilation"] != (1, 1):
            args += f", dilation={arg(a['dilation'])}"
        if not a["bias"]:
            args += ", bias=False"
        mods = [f"nn.ConvTranspose{len(ins[0]) - 1}d({args})"]
        if not even:  # crop (left, right[, top, bottom])
            mods.append(f"nn.ZeroPad1d({(-pl, -pr)})" if seq else f"nn.ZeroPad2d({(-pl, -pr, -pt, -pb)})")
        return TorchCode(mods)


register(ConvOp(), DepthwiseOp(), SeparableOp(), DeconvOp())

