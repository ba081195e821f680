"""Generated sequence networks: netspec and PyTorch must agree on every one, or both must refuse it.

The sequence companion of tests/test_torch_generated.py. Hypothesis draws small transformer-like
networks: token ids through an `embedding` (or a sequence, or an image cut into a sequence with
`to_sequence`), then chains of `attention` (every option: heads, head_dim, kv_heads, dim, causal,
qkv/out bias, rope, context, cross-attention on an earlier layer, windows with shift and a
relative-position bias on images), `position_embedding`, `class_token`, `layer_scale`,
`rmsnorm`/`layernorm`, `dense` (with fused silu/gelu, and `tie` to the embedding), `glu`, `silu`,
residual `add`, `to_image`/`to_sequence`, `space_to_depth`/`depth_to_space`. Each network is
written as YAML and checked with `netspec.pipeline.check_text`.

The oracle is `reference()` below: the network built straight from its description with PyTorch
(nn.Linear, nn.Embedding, nn.RMSNorm, F.glu, F.pixel_unshuffle, ... and attention written out as
matmuls here, with no netspec code), counted with FlopCounterMode under the math backend with
grad enabled. Where PyTorch has no rule of its own, the reference follows the format contract
(spec-format-1.1: heads must divide the channels unless head_dim is given, kv_heads the heads,
windows tile the image, a shift needs a window and is smaller than it, a relative-position bias
needs a window, causal attention is self-attention, a KV cache is for global attention, rope needs
an even head_dim, max_length covers the positions, `tie` names an embedding of the same size).
Then: both accept and every layer's shape, parameters and MACCs agree (and the exported module
agrees too), or netspec refuses with one of the expected codes and the reference refuses too.

Seeded (derandomize=True): every run checks the same networks.
"""

from __future__ import annotations

import math

import pytest
import yaml

torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch: pip install 'netspec-cli[torch]'")

import torch.nn.functional as F  # noqa: E402
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from torch_checks import Refused, agree_with_reference  # noqa: E402

REFUSAL_CODES = {"NS104", "NS203", "NS204", "NS205", "NS206", "NS218"}


# ------------------------------------------------------------------------------------------------
# the strategy

CHANNELS = st.sampled_from([2, 4, 6, 8, 12])
HEADS = st.sampled_from([1, 2, 3, 4])


def divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0]


@st.composite
def attention(draw, shape: tuple, names: list[str], shapes: dict) -> dict:
    """An attention layer on `shape`, mostly valid (heads dividing the channels, windows tiling the
    image), sometimes on purpose not."""
    c = shape[-1]
    usual = draw(st.integers(0, 4)) > 0
    layer: dict = {"type": "attention", "heads": draw(st.sampled_from(divisors(c)[:4] if usual else [1, 2, 3, 4]))}
    if draw(st.integers(0, 3)) == 0:
        layer["head_dim"] = draw(st.sampled_from([1, 2, 3, 4]))
    if draw(st.booleans()):
        layer["kv_heads"] = draw(st.sampled_from(divisors(layer["heads"]) if usual else [1, 2]))
    if draw(st.integers(0, 3)) == 0:
        layer["dim"] = draw(CHANNELS)
    for key in ("qkv_bias", "out_bias"):
        if draw(st.integers(0, 3)) == 0:
            layer[key] = False
    if draw(st.integers(0, 2)) == 0:
        layer["rope"] = True
    windowed = len(shape) == 3 and draw(st.booleans())
    if windowed:
        if usual:
            layer["window"] = [draw(st.sampled_from(divisors(shape[0]))), draw(st.sampled_from(divisors(shape[1])))]
        else:
            layer["window"] = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)))
        if draw(st.booleans()):
            layer["shift"] = draw(st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2)))
        if draw(st.booleans()):
            layer["relative_position_bias"] = True
    elif draw(st.integers(0, 7)) == 0:  # the rules' corners: a shift or a bias table without a window
        if draw(st.booleans()):
            layer["shift"] = 1
        else:
            layer["relative_position_bias"] = True
    if len(names) > 1 and draw(st.integers(0, 3)) == 0:  # cross-attention on an earlier layer
        memories = [n for n in names if len(shapes[n]) > 1 and "tokens" not in shapes[n]] or names
        layer["inputs"] = [names[-1], draw(st.sampled_from(memories))]
    if draw(st.integers(0, 2)) == 0 and ("inputs" not in layer or not usual):
        layer["causal"] = True
    if not windowed and draw(st.integers(0, 3)) == 0:
        layer["context"] = draw(st.integers(1, 5))
    return layer


def track(layer: dict, shape: tuple, shapes: dict) -> tuple:
    """Roughly the shape a layer gives, so that the next draws mostly fit (the oracle decides)."""
    t = layer["type"]
    c = shape[-1]
    if t == "embedding":
        return (shape[0], layer["dim"])
    if t == "attention":
        return (*shape[:-1], layer.get("dim", c))
    if t == "class_token":
        return (shape[0] + layer.get("count", 1), c)
    if t == "dense":
        return (*shape[:-1], layer["units"])
    if t == "glu":
        return (*shape[:-1], max(c // 2, 1))
    if t == "to_sequence":
        return (shape[0] * shape[1], c) if len(shape) == 3 else shape
    if t == "to_image":
        return (layer["height"], layer["width"], c)
    if t == "space_to_depth":
        b = layer["block"]
        return (max(shape[0] // b, 1), max(shape[1] // b, 1), c * b * b) if len(shape) == 3 else shape
    if t == "depth_to_space":
        b = layer["block"]
        return (shape[0] * b, shape[1] * b, max(c // (b * b), 1)) if len(shape) == 3 else shape
    return shape


SLICE_AXES = {3: ("height", "width", "channels"), 2: ("length", "channels"), 1: ("channels",)}


@st.composite
def slice_layer(draw, shape: tuple) -> dict:
    """A slice of one axis of `shape` (a tuple ("tokens", L) for token ids): mostly in range, sometimes
    past the end or empty on purpose; `index` on the axes that keep one."""
    tokens = shape[0] == "tokens"
    axes = ("length",) if tokens else SLICE_AXES[len(shape)]
    axis = draw(st.sampled_from(axes))
    n = shape[1] if tokens else shape[axes.index(axis)]
    span = st.integers(-n, n) if draw(st.integers(0, 5)) else st.integers(-n - 2, n + 2)
    if axis != "channels" and not tokens and draw(st.integers(0, 2)) == 0:
        return {"type": "slice", "axis": axis, "index": draw(span)}
    layer = {"type": "slice", "axis": axis}
    for key in ("start", "stop"):
        if draw(st.booleans()):
            layer[key] = draw(span)
    if draw(st.integers(0, 2)) == 0:
        layer["step"] = draw(st.integers(1, 3))
    return layer


def sliced(layer: dict, shape: tuple) -> tuple:
    """Roughly the shape a slice gives (the oracle decides)."""
    tokens = shape[0] == "tokens"
    axes = ("length",) if tokens else SLICE_AXES[len(shape)]
    k = axes.index(layer["axis"]) + tokens
    if "index" in layer:
        return shape[:k] + shape[k + 1:]
    n = len(range(shape[k])[layer.get("start", 0):layer.get("stop"):layer.get("step", 1)])
    return (*shape[:k], max(n, 1), *shape[k + 1:])


@st.composite
def sequence_networks(draw) -> dict:
    start = draw(st.sampled_from(["tokens", "tokens", "sequence", "image"]))
    layers: list[dict] = []
    names = ["input"]
    if start == "tokens":
        length = draw(st.integers(1, 10))
        net = {"input": {"length": length}}
        shapes = {"input": ("tokens", length)}
        if draw(st.integers(0, 3)) == 0:  # some of the token ids
            layers.append({"name": "ids", **draw(slice_layer(shapes["input"]))})
            shapes["ids"] = sliced(layers[0], shapes["input"])
            names.append("ids")
            length = shapes["ids"][1] if len(shapes["ids"]) > 1 else length
        layers.append({"name": "embed", "type": "embedding", "vocab": draw(st.integers(2, 20)), "dim": draw(CHANNELS)})
        shapes["embed"] = (length, layers[-1]["dim"])
        names.append("embed")
    elif start == "sequence":
        net = {"input": {"length": draw(st.integers(1, 10)), "channels": draw(CHANNELS)}}
        shapes = {"input": (net["input"]["length"], net["input"]["channels"])}
    else:
        net = {"input": {"height": draw(st.integers(1, 6)), "width": draw(st.integers(1, 6)),
                         "channels": draw(CHANNELS)}}
        shapes = {"input": tuple(net["input"].values())}
    for i in range(draw(st.integers(1, 5))):
        shape = shapes[names[-1]]
        choice = draw(st.sampled_from(["attention", "attention", "attention", "position_embedding",
                                       "class_token", "layer_scale", "norm", "dense", "glu", "silu", "add",
                                       "layout", "slice"]))
        if choice == "attention":
            layer = draw(attention(shape, names, shapes))
        elif choice == "position_embedding":
            layer = {"type": "position_embedding"}
            if draw(st.booleans()):
                layer["max_length"] = draw(st.integers(1, 40))
        elif choice == "class_token":
            layer = {"type": "class_token"}
            if draw(st.booleans()):
                layer["count"] = draw(st.integers(1, 3))
        elif choice == "norm":
            layer = {"type": draw(st.sampled_from(["rmsnorm", "layernorm"]))}
        elif choice == "dense":
            layer = {"type": "dense", "units": draw(CHANNELS)}
            if draw(st.booleans()):
                layer["activation"] = draw(st.sampled_from(["silu", "gelu"]))
            if draw(st.integers(0, 3)) == 0:
                layer["bias"] = False
        elif choice == "slice":
            layer = draw(slice_layer(shape))
        elif choice in ("layer_scale", "glu", "silu"):
            layer = {"type": choice}
        elif choice == "add":
            same = [n for n in names if shapes[n] == shape] if draw(st.integers(0, 4)) else names
            layer = {"type": "add", "inputs": [names[-1], draw(st.sampled_from(same))]}
        elif len(shape) == 3:  # layout: out of the image form, or within it
            layer = draw(st.sampled_from([{"type": "to_sequence"},
                                          {"type": "space_to_depth", "block": draw(st.integers(1, 2))},
                                          {"type": "depth_to_space", "block": draw(st.integers(1, 2))}]))
        else:  # into the image form: mostly a height x width that is the length
            h = draw(st.sampled_from(divisors(shape[0]) if draw(st.integers(0, 3)) else [1, 2, 3]))
            layer = {"type": "to_image", "height": h, "width": max(shape[0] // h, 1)}
        layer = {"name": f"l{i}", **layer}
        shapes[layer["name"]] = sliced(layer, shape) if layer["type"] == "slice" else track(layer, shape, shapes)
        layers.append(layer)
        names.append(layer["name"])
    if start == "tokens" and draw(st.booleans()):  # an LM head tied to the embedding
        vocab = next(l["vocab"] for l in layers if l["name"] == "embed")
        head = {"name": "head", "type": "dense", "units": vocab, "tie": "embed"}
        if draw(st.booleans()):
            head["bias"] = False
        layers.append(head)
    net["layers"] = layers
    return net


def to_yaml(net: dict) -> str:
    doc = {"netspec": 1, "name": "generated", "input": net["input"], "layers": net["layers"]}
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)


# ------------------------------------------------------------------------------------------------
# the reference: PyTorch straight from the description, tensors channels-last (N, ..., C)


def _pair(v, default=None):
    if v is None:
        return default
    return (v[0], v[1]) if isinstance(v, list) else (v, v)


def rotate(x, offset: int):
    """Rotary embedding of (N, heads, L, d): pairs (i, i + d/2) rotated by position x 10000^(-2i/d)."""
    half = x.shape[-1] // 2
    pos = torch.arange(offset, offset + x.shape[2], dtype=torch.float32)
    angle = pos[:, None] * 10000.0 ** (-torch.arange(half, dtype=torch.float32) / half)[None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * angle.cos() - x2 * angle.sin(), x2 * angle.cos() + x1 * angle.sin()], dim=-1)


def attention_reference(layer: dict, x, memory):
    """(modules holding the parameters, output) of netspec's attention, written from the contract."""
    c = x.shape[-1]
    h = layer["heads"]
    d = layer.get("head_dim")
    if d is None:
        if c % h:
            raise Refused("heads do not divide the channels")
        d = c // h
    g = layer.get("kv_heads", h)
    if h % g:
        raise Refused("kv_heads do not divide heads")
    if layer.get("rope") and d % 2:
        raise Refused("rope needs an even head_dim")
    if layer.get("causal") and memory is not None:
        raise Refused("causal cross-attention")
    window, shift = _pair(layer.get("window")), _pair(layer.get("shift"), (0, 0))
    context = layer.get("context", 0)
    if window is None and (any(shift) or layer.get("relative_position_bias")):
        raise Refused("a shift or a bias table without a window")
    n = x.shape[0]
    spatial = x.shape[1:-1]
    t = x.reshape(n, -1, c)
    m = t if memory is None else memory.reshape(n, -1, memory.shape[-1])
    if window is not None:
        if x.dim() != 4 or memory is not None:
            raise Refused("windows need an image, in self-attention")
        (hh, ww), (H, W) = window, spatial
        if H % hh or W % ww:
            raise Refused("the window does not tile the image")
        if shift[0] >= hh or shift[1] >= ww or context:
            raise Refused("shift past the window, or a cache with windows")
        img = torch.roll(x, (-shift[0], -shift[1]), (1, 2))
        t = m = img.reshape(n, H // hh, hh, W // ww, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, hh * ww, c)
    qkv_bias = layer.get("qkv_bias", True)
    q_proj = nn.Linear(c, h * d, bias=qkv_bias)
    k_proj = nn.Linear(m.shape[-1], g * d, bias=qkv_bias)
    v_proj = nn.Linear(m.shape[-1], g * d, bias=qkv_bias)
    dim = layer.get("dim", c)
    out_proj = nn.Linear(h * d, dim, bias=layer.get("out_bias", True))
    mods = [q_proj, k_proj, v_proj, out_proj]
    b, lq, lm = t.shape[0], t.shape[1], m.shape[1]
    q = q_proj(t).view(b, lq, h, d).transpose(1, 2)
    k = k_proj(m).view(b, lm, g, d).transpose(1, 2)
    v = v_proj(m).view(b, lm, g, d).transpose(1, 2)
    if layer.get("rope"):
        q, k = rotate(q, context), rotate(k, context)
    if context:  # cached keys and values of earlier positions: read, not computed
        k = torch.cat([torch.zeros(b, g, context, d), k], dim=2)
        v = torch.cat([torch.zeros(b, g, context, d), v], dim=2)
    k, v = k.repeat_interleave(h // g, dim=1), v.repeat_interleave(h // g, dim=1)
    scores = q.matmul(k.transpose(-2, -1)) / math.sqrt(d)
    if layer.get("relative_position_bias"):
        table = nn.Parameter(torch.zeros((2 * window[0] - 1) * (2 * window[1] - 1), h))
        mods.append(nn.ParameterList([table]))
        ys, xs = torch.meshgrid(torch.arange(window[0]), torch.arange(window[1]), indexing="ij")
        ys, xs = ys.flatten(), xs.flatten()
        index = (ys[:, None] - ys[None, :] + window[0] - 1) * (2 * window[1] - 1) + xs[:, None] - xs[None, :] \
            + window[1] - 1
        scores = scores + table[index].permute(2, 0, 1)
    if layer.get("causal"):
        scores = scores.masked_fill(torch.ones(lq, k.shape[2], dtype=torch.bool).triu(context + 1), float("-inf"))
    y = out_proj(torch.softmax(scores, dim=-1).matmul(v).transpose(1, 2).reshape(b, lq, h * d))
    if window is not None:
        (hh, ww), (H, W) = window, spatial
        y = y.reshape(n, H // hh, W // ww, hh, ww, dim).permute(0, 1, 3, 2, 4, 5).reshape(n, H, W, dim)
        return mods, torch.roll(y, shift, (1, 2))
    return mods, y.reshape(n, *spatial, dim)


def _apply(layer: dict, ins: list, outs: dict, types: dict):
    """(modules holding the layer's parameters, output) for one described layer."""
    kind = layer["type"]
    x = ins[0]
    tokens = x.dtype == torch.long
    if tokens and kind not in ("embedding", "slice"):
        raise Refused(f"{kind} on token ids")
    if kind == "slice":
        return [], slice_reference(layer, x, tokens)
    if kind == "embedding":
        if not tokens:
            raise Refused("an embedding of features")
        mod = nn.Embedding(layer["vocab"], layer["dim"])
        return [mod], mod(x)
    if kind == "attention":
        if x.dim() == 2 or (len(ins) > 1 and ins[1].dim() == 2):
            raise Refused("attention on a vector")
        return attention_reference(layer, x, ins[1] if len(ins) > 1 else None)
    if kind == "position_embedding":
        if x.dim() == 2:
            raise Refused("positions of a vector")
        positions = math.prod(x.shape[1:-1])
        rows = layer.get("max_length", positions)
        if rows < positions:
            raise Refused("max_length below the positions")
        table = nn.Parameter(torch.zeros(rows, x.shape[-1]))
        return [nn.ParameterList([table])], x + table[:positions].reshape(1, *x.shape[1:])
    if kind == "class_token":
        if x.dim() != 3:
            raise Refused("class tokens need a sequence")
        token = nn.Parameter(torch.zeros(1, layer.get("count", 1), x.shape[-1]))
        return [nn.ParameterList([token])], torch.cat([token.expand(x.shape[0], -1, -1), x], dim=1)
    if kind == "layer_scale":
        gamma = nn.Parameter(torch.ones(x.shape[-1]))
        return [nn.ParameterList([gamma])], x * gamma
    if kind in ("rmsnorm", "layernorm"):
        mod = (nn.RMSNorm if kind == "rmsnorm" else nn.LayerNorm)(x.shape[-1])
        return [mod], mod(x)
    if kind == "dense":
        if "tie" in layer:
            emb = outs["__modules__"][layer["tie"]]
            if types.get(layer["tie"]) != "embedding" or emb.weight.shape != (layer["units"], x.shape[-1]):
                raise Refused("tie to a table of another size")
            bias = nn.Parameter(torch.zeros(layer["units"])) if layer.get("bias", True) else None
            return ([nn.ParameterList([bias])] if bias is not None else []), F.linear(x, emb.weight, bias)
        mod = nn.Linear(x.shape[-1], layer["units"], bias=layer.get("bias", True))
        return [mod], mod(x)
    if kind == "glu":
        return [], F.glu(x, dim=-1)  # PyTorch refuses an odd number of channels itself
    if kind == "silu":
        return [], F.silu(x)
    if kind == "add":
        if ins[0].shape != ins[1].shape:
            raise Refused("add of different shapes")  # (broadcasting is tested in test_torch_generated)
        return [], ins[0] + ins[1]
    if kind == "to_sequence":
        if x.dim() != 4:
            raise Refused("to_sequence of a non-image")
        return [], x.reshape(x.shape[0], -1, x.shape[-1])
    if kind == "to_image":
        if x.dim() != 3 or layer["height"] * layer["width"] != x.shape[1]:
            raise Refused("to_image of another size")
        return [], x.reshape(x.shape[0], layer["height"], layer["width"], x.shape[-1])
    if kind in ("space_to_depth", "depth_to_space"):
        if x.dim() != 4:
            raise Refused(f"{kind} of a non-image")
        first = x.permute(0, 3, 1, 2)
        fn = F.pixel_unshuffle if kind == "space_to_depth" else F.pixel_shuffle
        return [], fn(first, layer["block"]).permute(0, 2, 3, 1)  # PyTorch refuses sizes that do not divide
    raise AssertionError(kind)


def slice_reference(layer: dict, x, tokens: bool):
    """The contract's slice on a channels-last tensor (batch first): positions past the end are refused
    (Python would clamp them), `index` leaves no axis on the channels or on token ids."""
    axes = ("length",) if tokens else SLICE_AXES[x.dim() - 1]
    if layer["axis"] not in axes:
        raise Refused(f"no {layer['axis']} axis")
    dim = 1 + axes.index(layer["axis"])
    n = x.shape[dim]
    if "index" in layer:
        if layer["axis"] == "channels" or tokens or not -n <= layer["index"] < n:
            raise Refused("index past the end or leaving no axis")
        return x.select(dim, layer["index"])
    for key in ("start", "stop"):
        if key in layer and not -n <= layer[key] <= n:
            raise Refused(f"{key} past the end")
    index = [slice(None)] * x.dim()
    index[dim] = slice(layer.get("start", 0), layer.get("stop"), layer.get("step", 1))
    return x[tuple(index)]


ACTIVATIONS = {"silu": F.silu, "gelu": lambda t: F.gelu(t, approximate="tanh")}


def reference(net: dict) -> list[tuple[str, tuple, int, int]]:
    """(name, netspec shape, params, MACCs) per layer; raises where PyTorch (or the contract) refuses."""
    torch.manual_seed(0)
    inp = net["input"]
    if "channels" not in inp:
        x = torch.randint(0, min(l["vocab"] for l in net["layers"] if l["type"] == "embedding"), (1, inp["length"]))
    else:
        x = torch.randn(1, *[inp[k] for k in ("height", "width", "length") if k in inp], inp["channels"])
    outs = {"input": x, "__modules__": {}}
    types: dict = {}
    rows = []
    previous = "input"
    for layer in net["layers"]:
        ins = [outs[r] for r in layer.get("inputs", [previous])]
        counter = FlopCounterMode(display=False)
        with sdpa_kernel(SDPBackend.MATH), torch.enable_grad(), counter:
            mods, y = _apply(layer, ins, outs, types)
            if layer.get("activation"):
                y = ACTIVATIONS[layer["activation"]](y)
        if y.numel() == 0:
            raise Refused("an empty output")
        outs[layer["name"]] = y
        outs["__modules__"][layer["name"]] = mods[0] if mods else None
        types[layer["name"]] = layer["type"]
        previous = layer["name"]
        shape = tuple(y.shape[1:])
        params = sum(p.numel() for m in mods for p in m.parameters())
        rows.append((layer["name"], shape, params, counter.get_total_flops() // 2))
    return rows


# ------------------------------------------------------------------------------------------------
# the property

def agree(net: dict) -> str:
    """Assert that netspec and PyTorch agree on `net`; returns the verdict for the statistics."""
    return agree_with_reference(to_yaml(net), lambda: reference(net), REFUSAL_CODES)


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence_networks())
def test_netspec_and_torch_agree_on_sequence_networks(net):
    verdict = agree(net)
    event(verdict)
