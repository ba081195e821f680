"""PyTorch export: a checked netspec graph as readable PyTorch source, or as a live `nn.Module`.

`to_source(graph)` writes one Python file: `import torch`, one `nn.Module` class with one attribute
per layer (named after the layer), a forward pass in graph order, and a `__main__` block that runs
a random input through it. `build(spec_or_graph)` executes that same source, so what the oracle
tests check is exactly what users get. Only `build` imports torch.

Layout. netspec is channels-last (HxWxC, LxC, C); the module is channels-first, as PyTorch
expects: an image is (N, C, H, W), a sequence (N, C, L), a vector (N, C). Every layer attribute
returns that layout, except a layer norm over an image or a sequence: its attribute runs on the
channels-last tensor, and the forward pass permutes around it.

What a layer type exports to is declared with the op (`Op.torch` in `netspec/ops/`); here is only
what all ops share: attribute names, the fused batch norm and activation each layer's attribute
ends with (`Op.torch_fused`), `nn.Identity()` for an attribute with nothing in it, the file
around the layers, and running it.
"""

from __future__ import annotations

import keyword
import re

from ..graph import INPUT
from ..ops import REGISTRY, Tokens, TorchCode, fmt_shape
from ..ops.base import TORCH_HELPERS
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
FORWARD_NAMES = frozenset({"self", "x", "torch", "nn", "F", "math"})

LINE = 100  # wrap an nn.Sequential(...) longer than this


# --------------------------------------------------------------------------------------------
# names

def sanitize(name: str) -> str:
    """A layer name as a Python identifier: `ir3.dw` -> `ir3_dw`, `0conv` -> `layer_0conv`."""
    s = re.sub(r"\W", "_", name)
    if not s or s[0].isdigit():
        s = "layer_" + s
    if s.startswith("_"):  # nn.Module keeps its own state in `_modules`, `_parameters`, `_buffers`, ...
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
    if keyword.iskeyword(name) or name in ("torch", "nn", "F", "math") or name in TORCH_HELPERS:
        name += "Net"
    return name


# --------------------------------------------------------------------------------------------
# one layer

def _torch_shape(shape) -> tuple:
    """netspec (H, W, C) / (L, C) / (C,) -> the module's (C, H, W) / (C, L) / (C,), batch left out;
    token ids (L,) stay (L,)."""
    if type(shape) is Tokens:
        return tuple(shape)
    return (shape[-1], *shape[:-1])


def input_vocab(graph) -> int:
    """The ids a token input may hold: below the smallest vocabulary of the embeddings reading it."""
    vocabs = [l.attrs["vocab"] for l in graph.layers if INPUT in l.inputs and "vocab" in l.attrs]
    return min(vocabs, default=2)


def _fused(layer, channels_last: bool = False) -> list[str]:
    """The modules of a layer's fused batch norm and activation, in order."""
    out = []
    for f in layer.fused:
        op = REGISTRY.get(f)
        mods = op.torch_fused(layer.output, channels_last) if op is not None else None
        if mods is None:
            raise ExportError(f"{layer.name}: no PyTorch mapping for the fused `{f}`")
        out += mods
    return out


def layer_code(graph, layer) -> TorchCode:
    """A layer's attribute (its op's modules, then its fused ones) and its forward expression."""
    code = REGISTRY[layer.type].torch(layer, [graph.shape_of(r) for r in layer.inputs])
    if code is None:
        raise ExportError(f"{layer.name}: no PyTorch mapping for the op `{layer.type}` yet")
    modules = code.modules + _fused(layer, code.channels_last)
    return TorchCode(modules or ["nn.Identity()"], code.call, code.channels_last, code.inline, code.helpers,
                     code.refs)


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


def _input_example(graph) -> str:
    shape = graph.input
    if type(shape) is Tokens:
        return f"torch.randint(0, {input_vocab(graph)}, (1, {shape[0]}))"
    return f"torch.randn(1, {', '.join(map(str, _torch_shape(shape)))})"


def _ref_expr(graph, names: list[str], codes: list[TorchCode], name: str) -> str:
    """The module of another layer (a dense `tie:`'s embedding): its attribute, or the first module
    of it when fused ops made the attribute an nn.Sequential."""
    i = next(j for j, l in enumerate(graph.layers) if l.name == name)
    return f"self.{names[i]}" + ("[0]" if len(codes[i].modules) > 1 else "")


def to_source(graph) -> str:
    """Readable PyTorch source of the network: one nn.Module class and a __main__ smoke test."""
    names = attribute_names(graph)
    cls = class_name(graph)
    totals_params = sum(l.cost.params for l in graph.layers) if all(l.cost for l in graph.layers) else None
    totals_maccs = (sum(c.maccs for l in graph.layers for _, c in l.parts)
                    if all(l.parts for l in graph.layers) else None)
    ind = "        "
    init, fwd, helpers = [], [], {}
    codes = [layer_code(graph, layer) for layer in graph.layers]
    for i, (layer, attr, code) in enumerate(zip(graph.layers, names, codes)):
        fused = f" + {' + '.join(layer.fused)}" if layer.fused else ""
        inline = " (computed in forward)" if code.inline else ""
        init.append(f"{ind}# {layer.name}: {layer.type}{inline}{fused} -> {fmt_shape(layer.output)}")
        init.append(f"{ind}self.{attr} = {_module_source(code.modules, ind)}")
        args = ["x" if r == INPUT else names[r] for r in layer.inputs]
        refs = {key: _ref_expr(graph, names, codes, name) for key, name in code.refs.items()}
        fwd.append(f"{ind}{attr} = " + code.call.format(*args, m=f"self.{attr}", **refs))
        helpers.update(dict.fromkeys(code.helpers))
    result = "x" if graph.output_ref == INPUT else names[graph.output_ref]
    in_kind = ("token ids (N, L)" if type(graph.input) is Tokens else
               {3: "an image (N, C, H, W)", 2: "a sequence (N, C, L)", 1: "a vector (N, C)"}[len(graph.input)])
    defined = []
    for h in helpers:
        defined += ["", "", TORCH_HELPERS[h].rstrip("\n")]
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
        *(["import math", ""] if helpers else []),
        "import torch",
        *(["import torch.nn.functional as F"] if helpers else []),
        "from torch import nn",
        *defined,
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
        f"    x = {_input_example(graph)}  # netspec input {fmt_shape(graph.input)}",
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
