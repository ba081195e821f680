"""PyTorch export: a checked netspec graph as readable PyTorch source, or as a live `nn.Module`.

`to_source(graph)` writes one Python file: `import torch`, one `nn.Module` class with one attribute
per layer (named after the layer), a forward pass in graph order, and a `__main__` block that runs
a random input through it. `build(spec_or_graph)` executes that same source, so what the oracle
tests check is exactly what users get. Only `build` imports torch.

Layout. netspec is channels-last (HxWxC, LxC, C); the module is channels-first, as PyTorch
expects: an image is (N, C, H, W), a sequence (N, C, L), a vector (N, C). Every layer attribute
returns that layout, except a layer norm over an image or a sequence: its attribute runs on the
channels-last tensor, and the forward pass permutes around it.

Mapping (each layer's attribute holds the layer and its fused batch norm and activation):
- conv/depthwise/separable: `nn.Conv2d`; `same` or uneven padding becomes an explicit
  `nn.ZeroPad2d` (TensorFlow's rule: the odd pixel after); separable is a depthwise conv without
  bias then a 1x1 conv.
- deconv: `nn.ConvTranspose2d`, cropped with a negative `nn.ZeroPad2d` when the crop is uneven.
- dense: `nn.Linear` on a vector; on an image or a sequence a 1x1 `nn.Conv2d`/`nn.Conv1d`
  (the same weights, parameters and MACCs as a Linear on the channel axis).
- max/avg pool: `nn.MaxPool2d`/`nn.AvgPool2d` with `ceil_mode`; uneven padding becomes an
  explicit pad (-inf for max, zeros for avg, i.e. `count_include_pad`).
- flatten: in HxWxC order (permute to channels-last first), so a following Linear matches.
- add/multiply broadcast as netspec does (right-aligned on the channels-last shape); concat on
  channels; norms, activations, upsample, dropout and identity map to their `nn` modules.
"""

from __future__ import annotations

import keyword
import re

from ..graph import INPUT
from ..ops import REGISTRY, fmt_shape
from ..ops.conv import resolve_padding, spatial_out
from . import ExportError

# Names an attribute must not take: nn.Module's own members (assigning a module there breaks it),
# and the names the generated forward uses. A test keeps this in step with dir(nn.Module).
MODULE_MEMBERS = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double
dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule
half ipu load_state_dict modules mtia named_buffers named_children named_modules named_parameters
parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to
to_empty train training type xpu zero_grad netspec_layers
""".split())
FORWARD_NAMES = frozenset({"self", "x", "torch", "nn"})

ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "relu6": "nn.ReLU6()",
    "leaky_relu": "nn.LeakyReLU()",  # netspec has no slope attribute: PyTorch's 0.01
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "swish": "nn.SiLU()",
    "hswish": "nn.Hardswish()",
    "hsigmoid": "nn.Hardsigmoid()",
    "gelu": 'nn.GELU(approximate="tanh")',  # netspec counts the tanh approximation
    "softmax": "nn.Softmax(dim=1)",  # over channels
}

LINE = 100  # wrap an nn.Sequential(...) longer than this


# --------------------------------------------------------------------------------------------
# names

def sanitize(name: str) -> str:
    """A layer name as a Python identifier: `ir3.dw` -> `ir3_dw`, `0conv` -> `layer_0conv`."""
    s = re.sub(r"\W", "_", name)
    if not s or s[0].isdigit():
        s = "layer_" + s
    if s.startswith("__"):
        s = "layer" + s
    if keyword.iskeyword(s) or s in MODULE_MEMBERS or s in FORWARD_NAMES:
        s += "_"
    return s


def attribute_names(graph) -> list[str]:
    """One distinct attribute name per layer, in graph order."""
    used: set[str] = set()
    out = []
    for layer in graph.layers:
        base = sanitize(layer.name)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out.append(name)
    return out


def class_name(graph) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", graph.name) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Net"
    if name[0].isdigit():
        name = "Net" + name
    if keyword.iskeyword(name) or name in ("torch", "nn"):
        name += "Net"
    return name


# --------------------------------------------------------------------------------------------
# small source helpers

def _v(pair):
    """(3, 3) -> '3'; (3, 5) -> '(3, 5)'."""
    a, b = pair
    return str(a) if a == b else f"({a}, {b})"


def _num(x) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def _torch_shape(shape) -> tuple:
    """netspec (H, W, C) / (L, C) / (C,) -> the module's (C, H, W) / (C, L) / (C,), batch left out."""
    return (shape[-1], *shape[:-1])


def to_channels_last(expr: str, rank: int) -> str:
    return {3: f"{expr}.permute(0, 2, 3, 1)", 2: f"{expr}.permute(0, 2, 1)"}.get(rank, expr)


def to_channels_first(expr: str, rank: int) -> str:
    return {3: f"{expr}.permute(0, 3, 1, 2)", 2: f"{expr}.permute(0, 2, 1)"}.get(rank, expr)


def _norm(kind: str, shape) -> str:
    return f"nn.BatchNorm2d({shape[-1]})" if len(shape) == 3 else f"nn.BatchNorm1d({shape[-1]})"


def _fused(layer, channels_last: bool = False) -> list[str]:
    """The modules of a layer's fused batch norm and activation, in order."""
    out = []
    for f in layer.fused:
        if f == "batchnorm":
            c = layer.output[-1]
            if channels_last and len(layer.output) > 1:
                # (N, ..., C) -> (N*..., C) -> BatchNorm1d -> back: the same statistics as BatchNorm2d/1d
                out += ["nn.Flatten(0, -2)", f"nn.BatchNorm1d({c})",
                        f"nn.Unflatten(0, (-1, {', '.join(map(str, layer.output[:-1]))}))"]
            else:
                out.append(_norm("batchnorm", layer.output))
        elif f == "softmax" and channels_last:
            out.append("nn.Softmax(dim=-1)")
        elif f in ACTIVATIONS:
            out.append(ACTIVATIONS[f])
        else:
            raise ExportError(f"{layer.name}: no PyTorch mapping for the fused `{f}`")
    return out


# --------------------------------------------------------------------------------------------
# padding rules

def _split(pads):
    t, b, l, r = pads
    return (t, b), (l, r)


def conv_padding(a: dict, h: int, w: int):
    """(torch padding (ph, pw), explicit (l, r, t, b) or None) for a conv-like window op."""
    _, _, pads = spatial_out("export", a, h, w)
    t, b, l, r = pads
    if t == b and l == r:
        return (t, l), None
    return (0, 0), (l, r, t, b)


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
    ph, pw = _split(a["padding"]) if not isinstance(a["padding"], str) else (a["padding"], a["padding"])
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


# --------------------------------------------------------------------------------------------
# one layer

class _Code:
    """A layer's attribute (modules applied in order) and its forward expression.

    `call` is a format string: {m} is the attribute (`self.name`), {0}, {1}, ... the inputs.
    """

    def __init__(self, modules: list[str], call: str = "{m}({0})", channels_last: bool = False) -> None:
        self.modules = modules
        self.call = call
        self.channels_last = channels_last


def _broadcast_terms(layer, ins_shapes) -> list[str]:
    """Input expressions aligned for netspec's broadcast (right-aligned on channels-last shapes)."""
    rank = len(layer.output)
    terms = []
    for i, shape in enumerate(ins_shapes):
        expr = "{%d}" % i
        missing = rank - len(shape)
        if missing:
            # channels-first: a rank-r input's spatial dims align to the right of the output's
            expr += "[:, :" + ", None" * missing + "]"
        terms.append(expr)
    return terms


def layer_code(graph, layer) -> _Code:
    a = layer.attrs
    ins = [graph.shape_of(r) for r in layer.inputs]
    shape = ins[0]
    out = layer.output
    t = layer.type
    fused = _fused(layer)

    if t in ("conv", "depthwise", "separable"):
        h, w, c = shape
        (ph, pw), explicit = conv_padding(a, h, w)
        mods = [f"nn.ZeroPad2d({explicit})"] if explicit else []
        window = f"kernel_size={_v(a['kernel'])}"
        if a["stride"] != (1, 1):
            window += f", stride={_v(a['stride'])}"
        if (ph, pw) != (0, 0):
            window += f", padding={_v((ph, pw))}"
        if a["dilation"] != (1, 1):
            window += f", dilation={_v(a['dilation'])}"
        bias = "" if a["bias"] else ", bias=False"
        if t == "conv":
            g = f", groups={a['groups']}" if a["groups"] != 1 else ""
            mods.append(f"nn.Conv2d({c}, {out[2]}, {window}{g}{bias})")
        elif t == "depthwise":
            mods.append(f"nn.Conv2d({c}, {out[2]}, {window}, groups={c}{bias})")
        else:
            mods.append(f"nn.Conv2d({c}, {c}, {window}, groups={c}, bias=False)")
            mods.append(f"nn.Conv2d({c}, {out[2]}, kernel_size=1{bias})")
        return _Code(mods + fused)

    if t == "deconv":
        h, w, c = shape
        _, (pt, pb, pl, pr) = REGISTRY["deconv"].crops(a, h, w)
        even = pt == pb and pl == pr
        args = f"{c}, {out[2]}, kernel_size={_v(a['kernel'])}"
        if a["stride"] != (1, 1):
            args += f", stride={_v(a['stride'])}"
        if even and (pt, pl) != (0, 0):
            args += f", padding={_v((pt, pl))}"
        if a["output_padding"] != (0, 0):
            args += f", output_padding={_v(a['output_padding'])}"
        if a["dilation"] != (1, 1):
            args += f", dilation={_v(a['dilation'])}"
        if not a["bias"]:
            args += ", bias=False"
        mods = [f"nn.ConvTranspose2d({args})"]
        if not even:
            mods.append(f"nn.ZeroPad2d({(-pl, -pr, -pt, -pb)})")  # crop (left, right, top, bottom)
        return _Code(mods + fused)

    if t == "dense":
        c, u = shape[-1], a["units"]
        bias = "" if a["bias"] else ", bias=False"
        if len(shape) == 1:
            mod = f"nn.Linear({c}, {u}{bias})"
        else:  # a Linear on the channel axis at every position, as a 1x1 convolution
            mod = f"nn.Conv{len(shape) - 1}d({c}, {u}, kernel_size=1{bias})"
        return _Code([mod] + fused)

    if t in ("maxpool", "avgpool"):
        h, w, c = shape
        win = {**a, "stride": a["stride"] or a["kernel"]}
        (ph, pw), explicit = pool_padding(win, h, w, out[0], out[1])
        mods = []
        if explicit:
            mods.append(f'nn.ConstantPad2d({explicit}, float("-inf"))' if t == "maxpool"
                        else f"nn.ZeroPad2d({explicit})")
        args = f"kernel_size={_v(win['kernel'])}"
        if win["stride"] != win["kernel"]:
            args += f", stride={_v(win['stride'])}"
        if (ph, pw) != (0, 0):
            args += f", padding={_v((ph, pw))}"
        if a["ceil_mode"]:
            args += ", ceil_mode=True"
        mods.append(f"nn.{'MaxPool2d' if t == 'maxpool' else 'AvgPool2d'}({args})")
        return _Code(mods + fused)

    if t in ("global_avgpool", "global_maxpool"):
        kind = "Avg" if t == "global_avgpool" else "Max"
        return _Code([f"nn.Adaptive{kind}Pool{len(shape) - 1}d(1)", "nn.Flatten()"] + fused)

    if t == "flatten":
        return _Code(["nn.Flatten()"] + fused, "{m}(%s)" % to_channels_last("{0}", len(shape)))

    if t == "batchnorm":
        return _Code([_norm(t, shape)] + fused)

    if t == "layernorm":
        if len(shape) == 1:
            return _Code([f"nn.LayerNorm({shape[-1]})"] + fused)
        mods = [f"nn.LayerNorm({shape[-1]})"] + _fused(layer, channels_last=True)
        call = to_channels_first("{m}(%s)" % to_channels_last("{0}", len(shape)), len(shape))
        return _Code(mods, call, channels_last=True)

    if t in ACTIVATIONS:
        return _Code([ACTIVATIONS[t]] + fused)

    if t in ("add", "multiply"):
        op = " + " if t == "add" else " * "
        return _Code(fused or ["nn.Identity()"], "{m}(%s)" % op.join(_broadcast_terms(layer, ins)))

    if t == "concat":
        return _Code(fused or ["nn.Identity()"],
                     "{m}(torch.cat([%s], dim=1))" % ", ".join("{%d}" % i for i in range(len(ins))))

    if t == "upsample":
        mode = a["mode"]
        extra = ", align_corners=False" if mode == "bilinear" else ""
        return _Code([f'nn.Upsample(scale_factor={_num(a["scale"])}, mode="{mode}"{extra})'] + fused)

    if t == "dropout":
        return _Code([f"nn.Dropout({_num(a['rate'])})"] + fused)

    if t == "identity":
        return _Code(fused or ["nn.Identity()"])

    raise ExportError(f"{layer.name}: no PyTorch mapping for the op `{t}` yet")


# --------------------------------------------------------------------------------------------
# the whole file

def _module_source(mods: list[str], indent: str) -> str:
    if len(mods) == 1:
        return mods[0]
    one = f"nn.Sequential({', '.join(mods)})"
    if len(indent) + len(one) + 20 <= LINE:
        return one
    inner = indent + "    "
    return "nn.Sequential(\n" + "".join(f"{inner}{m},\n" for m in mods) + indent + ")"


def _input_example(shape) -> str:
    return f"torch.randn(1, {', '.join(map(str, _torch_shape(shape)))})"


def to_source(graph) -> str:
    """Readable PyTorch source of the network: one nn.Module class and a __main__ smoke test."""
    names = attribute_names(graph)
    cls = class_name(graph)
    totals_params = sum(l.cost.params for l in graph.layers) if all(l.cost for l in graph.layers) else None
    totals_maccs = (sum(c.maccs for l in graph.layers for _, c in l.parts)
                    if all(l.parts for l in graph.layers) else None)
    ind = "        "
    init, fwd = [], []
    for i, (layer, attr) in enumerate(zip(graph.layers, names)):
        code = layer_code(graph, layer)
        fused = f" + {' + '.join(layer.fused)}" if layer.fused else ""
        inline = " (computed in forward)" if layer.type in ("add", "multiply", "concat") else ""
        init.append(f"{ind}# {layer.name}: {layer.type}{inline}{fused} -> {fmt_shape(layer.output)}")
        init.append(f"{ind}self.{attr} = {_module_source(code.modules, ind)}")
        args = ["x" if r == INPUT else names[r] for r in layer.inputs]
        fwd.append(f"{ind}{attr} = " + code.call.format(*args, m=f"self.{attr}"))
    result = "x" if graph.output_ref == INPUT else names[graph.output_ref]
    in_kind = {3: "an image (N, C, H, W)", 2: "a sequence (N, C, L)", 1: "a vector (N, C)"}[len(graph.input)]
    out_shape = graph.shape_of(graph.output_ref)
    facts = []
    if totals_params is not None:
        facts.append(f"params {totals_params:,}")
    if totals_maccs is not None:
        facts.append(f"MACCs per sample {totals_maccs:,}")
    lines = [
        f'"""{graph.name}: PyTorch module generated by `netspec export --to torch`.',
        "",
        f"netspec: input {fmt_shape(graph.input)}, output {fmt_shape(out_shape)}"
        + (f", {', '.join(facts)}." if facts else "."),
        "Layout: channels first, as PyTorch expects (netspec's HxWxC is (N, C, H, W) here; a sequence",
        "LxC is (N, C, L)). Weights are randomly initialised; load your own with load_state_dict.",
        '"""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        f"class {cls}(nn.Module):",
        f'    """{graph.name}: input {in_kind}, netspec shape {fmt_shape(graph.input)}."""',
        "",
        "    def __init__(self):",
        "        super().__init__()",
        *init,
        "",
        "    def forward(self, x):",
        *fwd,
        f"        return {result}",
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {cls}().eval()",
        f"    x = {_input_example(graph.input)}  # netspec input {fmt_shape(graph.input)}",
        "    with torch.no_grad():",
        "        y = model(x)",
        '    print("output shape:", tuple(y.shape))',
        '    print("params:", sum(p.numel() for p in model.parameters()))',
        "",
    ]
    return "\n".join(lines)


def build(spec_or_graph, overrides: dict | None = None):
    """A `torch.nn.Module` for a spec (a path), a checked netspec Graph or a pipeline FileResult.

    It runs the source `to_source` writes; `module.netspec_layers` maps each netspec layer name to
    its attribute name. Raises netspec.export.ExportError when the spec has errors.
    """
    import linecache

    import torch  # noqa: F401  (fail here, clearly, when PyTorch is missing)

    from . import checked_graph

    graph = checked_graph(spec_or_graph, overrides)
    source = to_source(graph)
    filename = f"<netspec-export {graph.name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": "netspec_export_" + re.sub(r"\W", "_", graph.name)}
    exec(compile(source, filename, "exec"), namespace)  # our own generated code
    model = namespace[class_name(graph)]()
    model.netspec_layers = dict(zip((l.name for l in graph.layers), attribute_names(graph)))
    return model
