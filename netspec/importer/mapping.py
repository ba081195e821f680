"""ONNX nodes -> netspec layers: one handler per ONNX op type, fusing what netspec fuses.

Layout. ONNX tensors are batch-first and, from PyTorch, usually channels-first (NCHW, NCL), while
netspec shapes are channels-last (HxWxC, LxC, C). Every ONNX value that holds an activation is a
`Val`: the netspec layer it comes from, that layer's netspec shape, and `axes`, which netspec axis
each ONNX axis (after the batch) holds (None: a size-1 axis netspec does not have, as the 1x1 of a
global pool's NCHW output). So a Transpose, an Unsqueeze or a Flatten of a vector is only a new
view of the same layer; an op is mapped only when it acts on the axis netspec would act on (a
convolution's channels at ONNX axis 1 over an NCHW image, a MatMul on the channel axis, a softmax
over the channels), and refused otherwise: never a layer that computes something else.

Fusion. Batch norm and an activation that read a layer's output and nothing else does become that
layer's `batchnorm: true` and `activation:` (in that order, netspec's); a zero Pad before a
convolution or pool becomes its padding (-inf before a max pool), a negative Pad after a
transposed convolution its cropping; x * Sigmoid(x) is swish; MatMul + Add of a vector is a
dense layer with bias.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx

from ..ops import REGISTRY
from ..ops import base as _ops_base
from ..ops import conv as _conv_ops
from . import Problem, attention, norms
from .attention import MALFORMED, find_regions
from .norms import find_rmsnorms
from .onnx_model import OnnxGraph, _attrs

INPUT = "input"


class Unsupported(Exception):
    """This node has no netspec equivalent (the message says why); `node` overrides which node is named."""

    def __init__(self, message: str, node=None) -> None:
        super().__init__(message)
        self.node = node


@dataclass
class Val:
    """An activation: the netspec layer it is the output of, that shape, and the ONNX axes' meaning."""

    ref: str
    shape: tuple
    axes: tuple
    tensor: str
    pad: tuple | None = None  # a pending (t, b, l, r) Pad, folded into the next window op
    pad_value: float = 0.0
    pad_node: object = None
    shuffle: tuple | None = None  # a channel shuffle under way: (groups, transposed?, the Reshape node)
    pixel: tuple | None = None  # PixelUnshuffle/PixelShuffle under way: (layer type, block, transposed?, node)
    tokens: bool = False  # token ids (the input of a model that starts with an embedding)
    time_major: bool = False  # a sequence laid out (L, N, C): what ONNX's recurrent nodes read and write

    def onnx_shape(self) -> tuple:
        return tuple(1 if a is None else self.shape[a] for a in self.axes)

    @property
    def channel_axis(self) -> int:
        """The ONNX axis (batch = 0) that holds the channels."""
        return 1 + self.axes.index(len(self.shape) - 1)

    def is_nchw(self) -> bool:
        return len(self.shape) == 3 and self.axes == (2, 0, 1)

    def is_ncl(self) -> bool:
        return len(self.shape) == 2 and self.axes == (1, 0)

    def is_vector(self) -> bool:
        return len(self.shape) == 1 and self.axes[0] == 0


@dataclass
class Layer:
    """A netspec layer being built: what the YAML entry will say, and the ONNX shape it must have."""

    name: str
    type: str
    attrs: dict
    inputs: list[str]
    shape: tuple  # the netspec output shape ONNX's shape inference gives
    batchnorm: bool = False
    activation: str | None = None
    bias: bool | None = None  # dot-product layers: whether the weights have a bias
    note: str | None = None
    nodes: list[str] = field(default_factory=list)
    generic: bool = False  # named after its op type only (may take the name of a fused node)
    padding_options: list | None = None  # ways to write its padding (None: left out, meaning `same`)


def default_layout(shape: tuple):
    """(netspec shape, axes) of a batch-first ONNX shape read as channels-first."""
    dims = tuple(shape[1:])
    if len(dims) == 3:
        return (dims[1], dims[2], dims[0]), (2, 0, 1)
    if len(dims) == 2:
        return (dims[1], dims[0]), (1, 0)
    if len(dims) == 1:
        return dims, (0,)
    return None, None


def layer_name(node_name: str, op_type: str) -> tuple[str, bool]:
    """A layer name from an ONNX node name: `/layer1/layer1.0/conv1/Conv` -> `layer1_0_conv1`."""
    parts = [p for p in node_name.split("/") if p]
    if parts and len(node_name.split("/")) > 1:
        parts = parts[:-1]  # the last part is the op (Conv, Conv_1)
    kept = [p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1].startswith(p + "."))]
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", "_".join(kept)).strip("_")
    generic = not name
    if generic:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op_type).lower()
    if not re.match(r"[A-Za-z_]", name):
        name = "l_" + name
    return name, generic


def _pair_text(a, b):
    return a if a == b else [a, b]


def padding_text(t, b, l, r):
    if t == b == l == r:
        return t
    if t == b and l == r:
        return [t, l]
    return [t, b, l, r]


def same_pads(size, k, s, d):
    """TensorFlow's `same` (netspec's): output ceil(size / s), the odd pixel after."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hswish", "Gelu": "gelu",
               "LeakyRelu": "leaky_relu"}


class Builder:
    """The building blocks handlers use: layers, values, weights, constants and fusion."""

    g: OnnxGraph
    vals: dict
    layers: list
    index: dict

    def unique(self, name: str) -> str:
        if name == INPUT:
            name = "input_"
        base, n = name, 2
        while name in self.index:
            name, n = f"{base}_{n}", n + 1
        return name

    def add(self, node, type_: str, attrs: dict, inputs: list[str], shape: tuple, **extra) -> Layer:
        if type_ not in REGISTRY:
            raise Unsupported(f"it is a `{type_}`, which this version of netspec does not have")
        name, generic = layer_name(node.name, node.op_type)
        layer = Layer(self.unique(name), type_, attrs, inputs, shape, nodes=[node.name], generic=generic, **extra)
        self.layers.append(layer)
        self.index[layer.name] = layer
        return layer

    def data(self, node, i: int = 0, shuffle_ok: bool = False) -> Val:
        name = node.input[i] if i < len(node.input) else ""
        val = self.vals.get(name)
        if val is None:
            raise Unsupported(f"input {i + 1} is not an activation netspec can follow")
        if val.tokens:
            raise Unsupported("it reads the token ids (netspec reads them with an embedding: a Gather of a table)")
        if val.time_major:
            raise Unsupported("it reads a sequence laid out time-first (L, N, C), as recurrent nodes write it")
        if val.shuffle is not None and not shuffle_ok:
            raise Unsupported("a Reshape of the channels into groups that is no channel shuffle", val.shuffle[2])
        if val.pixel is not None and not shuffle_ok:
            raise Unsupported(f"a Reshape into blocks that is no {val.pixel[0]}", val.pixel[3])
        return val

    def no_pad(self, val: Val) -> Val:
        if val.shuffle is not None:
            raise Unsupported("a Reshape of the channels into groups that is no channel shuffle", val.shuffle[2])
        if val.pixel is not None:
            raise Unsupported(f"a Reshape into blocks that is no {val.pixel[0]}", val.pixel[3])
        if val.pad is not None:
            return self.pad_layer(val)
        return val

    def pad_layer(self, val: Val, mode: str = "zeros") -> Val:
        """A Pad that no convolution or pool takes in: netspec's `pad` layer (format 1.1), once per value."""
        if "pad" not in REGISTRY or (val.pad_value != 0 and mode == "zeros"):
            raise Unsupported("a Pad with no convolution or pool after it (netspec has no pad layer)"
                              if "pad" not in REGISTRY else f"a Pad with the value {val.pad_value:g} (netspec's pad "
                              "layer pads with zeros, or reflects or replicates the border)", val.pad_node)
        done = self.padded.get(val.tensor)
        if done is not None:
            return done
        t, b, l, r = val.pad
        if len(val.shape) == 3:
            shape, padding = (val.shape[0] + t + b, val.shape[1] + l + r, val.shape[2]), padding_text(t, b, l, r)
        else:
            shape, padding = (val.shape[0] + l + r, val.shape[1]), (l if l == r else [l, r])
        attrs = {"padding": padding} if mode == "zeros" else {"padding": padding, "mode": mode}
        layer = self.add(val.pad_node, "pad", attrs, [val.ref], shape)
        done = self.padded[val.tensor] = Val(layer.name, shape, val.axes, val.tensor)
        return done

    def weight(self, node, i: int) -> tuple | None:
        name = node.input[i] if i < len(node.input) else ""
        if not name:
            return None
        if name not in self.g.weights:
            raise Unsupported(f"its input {i + 1} ({name!r}) is computed at run time; netspec layers have fixed "
                              "weights")
        return self.g.weights[name]

    def const(self, node, i: int):
        name = node.input[i] if i < len(node.input) else ""
        if not name:
            return None
        if name not in self.g.consts:
            raise Unsupported(f"its input {i + 1} ({name!r}) is not a constant the import can compute")
        return self.g.consts[name]

    def out_shape(self, node, i: int = 0) -> tuple:
        shape = self.g.shapes.get(node.output[i])
        if shape is None:
            raise Unsupported("ONNX shape inference gives its output no static shape")
        return shape

    def emit(self, node, type_: str, attrs: dict, x: Val, out_shape: tuple | None = None, inputs=None,
             **extra) -> Layer:
        """A layer whose output has the channels-first layout of its ONNX output."""
        shape, axes = default_layout(out_shape or self.out_shape(node))
        if shape is None:
            raise Unsupported(f"its output has rank {len(out_shape or self.out_shape(node))}")
        layer = self.add(node, type_, attrs, inputs or [x.ref], shape, **extra)
        self.vals[node.output[0]] = Val(layer.name, shape, axes, node.output[0])
        return layer

    def alias(self, node, x: Val, axes: tuple, i: int = 0) -> None:
        """The output is the same netspec tensor, viewed with other ONNX axes."""
        self.vals[node.output[i]] = Val(x.ref, x.shape, tuple(axes), node.output[i], x.pad, x.pad_value, x.pad_node)

    def fusable(self, x: Val) -> Layer | None:
        """The layer that made x, if only this node reads x (so an op on x may become part of it)."""
        if x.ref == INPUT or x.pad is not None:
            return None
        if self.g.consumers.get(x.tensor, 0) != 1:
            return None
        layer = self.index.get(x.ref)  # never an rnn: its `activation` is its cell's (one after it stays apart)
        return None if layer is None or REGISTRY[layer.type].owns_activation else layer

    def same_view(self, node, x: Val, layer: Layer) -> None:
        self.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])
        for extra in node.output[1:]:
            if extra and self.g.consumers.get(extra):
                raise Unsupported(f"its output {extra!r} (training statistics) is read by another node")

    def adopt_name(self, layer: Layer, node) -> None:
        """A layer named after its op only (an add in `forward`) takes the name of what fused onto it."""
        name, generic = layer_name(node.name, node.op_type)
        if layer.generic and not generic and name not in self.index:
            del self.index[layer.name]
            for v in self.vals.values():
                if v.ref == layer.name:
                    v.ref = name
            layer.name, layer.generic = name, False
            self.index[name] = layer
        layer.nodes.append(node.name)

    def activation(self, node, kind: str) -> None:
        x = self.no_pad(self.data(node))
        layer = self.fusable(x)
        if layer is not None and layer.activation is None:
            layer.activation = kind
            self.adopt_name(layer, node)
            self.same_view(node, x, layer)
            return
        layer = self.add(node, kind, {}, [x.ref], x.shape)
        self.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])

    def channel_check(self, x: Val, axis: int, what: str) -> None:
        rank = len(x.axes) + 1
        if axis < 0:
            axis += rank
        if not 0 < axis < rank or x.axes[axis - 1] != len(x.shape) - 1:
            raise Unsupported(f"{what} over ONNX axis {axis}, which is not the channel axis netspec uses")



# ops that compute a value from constants and weights: a sliced table, a mask, positions for rotary
# embeddings (their readers decide what the value is); any other op with no activation input is a gap
CONSTANT_OPS = frozenset({
    "Constant", "ConstantOfShape", "Identity", "Cast", "Shape", "Reshape", "Flatten", "Transpose", "Squeeze",
    "Unsqueeze", "Expand", "Tile", "Slice", "Gather", "GatherElements", "GatherND", "ScatterND", "Concat", "Split",
    "Range", "Trilu", "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or",
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Pow", "Sqrt", "Reciprocal", "Exp", "Log", "Sin", "Cos", "Floor",
    "Ceil", "Mod", "Min", "Max", "MatMul", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin"})


# window ops take sequences (format 1.1's 1-D conv, pools, upsample): a sequence maps as a row
ROW_OPS = hasattr(_conv_ops, "as_image")


class Mapper(Builder):
    """Walks the prepared graph once, in execution order, building layers and collecting problems."""

    def __init__(self, g: OnnxGraph) -> None:
        self.g = g
        self.vals: dict[str, Val] = {}
        self.layers: list[Layer] = []
        self.index: dict[str, Layer] = {}
        self.problems: list[Problem] = []
        self.unbridgeable: list[Problem] = []  # gaps --allow-partial cannot fill (the shape changes)
        self.skip: Counter = Counter()  # nodes of patterns mapped as a whole (attention), by id, with their claims
        self.anchors: dict = {}  # node id -> the pattern whose layer it writes (names may be empty or repeat)
        self.tables: dict[str, str] = {}  # an embedding's table (initializer) -> the embedding layer
        self.padded: dict[str, Val] = {}  # a padded value -> its `pad` layer
        self.dynamic = {g.input}  # values that depend on the input (the others are constants and weights)
        self.readers: dict[str, list] = {}  # value -> the nodes reading it
        for node in g.nodes:
            if any(i in self.dynamic for i in node.input):
                self.dynamic.update(o for o in node.output if o)
            for i in node.input:
                self.readers.setdefault(i, []).append(node)
        if g.tokens:
            tokens = getattr(_ops_base, "Tokens", None)  # token ids: format 1.1 (issue 14)
            if tokens is None or len(g.input_shape) != 2:
                self.problems.append(Problem(f"the input holds integers of shape {list(g.input_shape)}; netspec "
                                             "reads token ids as (N, L)"))
                return
            self.vals[g.input] = Val(INPUT, (g.input_shape[1],), (0,), g.input, tokens=True)
            self.input_shape = tokens((g.input_shape[1],))
            return
        shape, axes = default_layout(g.input_shape)
        if shape is None:
            self.problems.append(Problem(f"the input has rank {len(g.input_shape)}; netspec takes an image "
                                         "(N, C, H, W), a sequence (N, C, L) or a vector (N, C)"))
            return
        self.vals[g.input] = Val(INPUT, shape, axes, g.input)
        self.input_shape = shape

    # ----------------------------------------------------------------------------------------
    # driving

    def run(self) -> None:
        if self.problems:
            return
        for type_, find, emit, prefix in PATTERNS:
            if type_ in REGISTRY:
                for found in find(self.g, self.dynamic):
                    self.skip.update(found.nodes)
                    self.anchors[found.anchor] = (emit, found, found.first, prefix)
        for node in self.g.nodes:
            self.map_node(node)
        self.finish()

    def map_node(self, node) -> None:
        if id(node) in self.anchors:
            emit, pattern, named, prefix = self.anchors[id(node)]
            try:
                emit(self, pattern)
            except Unsupported as exc:
                self.gap(exc.node or named, f"{prefix}{exc}")
            except MALFORMED as exc:  # a graph the pattern's reading did not foresee: refused, never a traceback
                self.gap(named, f"{prefix}cannot read this pattern ({type(exc).__name__}: {exc})")
            return
        if self.skip[id(node)] > 0:
            return
        if node.op_type in CONSTANT_OPS and node.domain in ("", "ai.onnx") and \
                not any(n in self.dynamic for n in node.input):  # a constant computation (a weight's view, a mask)
            made_of = frozenset().union(*(self.g.sources(n) for n in node.input if n))
            for out in node.output:
                if out and made_of:
                    self.g.derived[out] = made_of
            return
        handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        data = [self.vals[n] for n in node.input if n in self.vals]
        if handler is None:
            self.gap(node, f"no netspec layer computes {node.domain + '.' if node.domain else ''}{node.op_type}")
            return
        if not data:
            self.gap(node, "it reads no activation (only constants computed at run time)")
            return
        try:
            handler(self, node, _attrs(node))
        except Unsupported as exc:
            self.gap(exc.node or node, str(exc))

    def gap(self, node, why: str) -> None:
        """An inexpressible node: a problem; its outputs become identity placeholders (--allow-partial
        writes them with a note) or, where the shape changes, a gap nothing can bridge."""
        problem = Problem(why, node.name or "(unnamed)", node.op_type)
        self.problems.append(problem)
        data = [self.vals[n] for n in node.input if n in self.vals]
        for out in node.output:
            if not out:
                continue
            shape = self.g.shapes.get(out)
            if data and shape is not None and shape[1:] == data[0].onnx_shape() and data[0].pad is None:
                src = data[0]
                layer = self.add(node, "identity", {}, [src.ref], src.shape, note=f"ONNX {node.op_type} "
                                 f"{node.name!r} not expressed: {why}")
                self.vals[out] = Val(layer.name, src.shape, src.axes, out)
                continue
            if problem not in self.unbridgeable:
                self.unbridgeable.append(problem)
            ns, axes = default_layout(shape) if shape else (None, None)
            if ns is None:
                continue
            layer = self.add(node, "identity", {}, [data[0].ref] if data else [INPUT], ns, note="gap")
            self.vals[out] = Val(layer.name, ns, axes, out)

    def finish(self) -> None:
        outs = self.g.outputs
        if len(outs) != 1:
            self.problems.append(Problem(f"netspec specs have one output; this graph has {len(outs)} "
                                         f"({', '.join(map(repr, outs))})"))
            return
        val = self.vals.get(outs[0])
        if val is None:
            if not self.problems:
                self.problems.append(Problem(f"the graph output {outs[0]!r} is a constant"))
            return
        if val.pad is not None:
            try:
                val = self.pad_layer(val)
            except Unsupported as exc:
                self.gap(exc.node, str(exc))
                return
        val = pooled_output(self, val)
        live = self.live(val.ref)
        self.layers = [l for l in self.layers if l.name in live]
        if val.ref == INPUT or self.layers[-1].name != val.ref:
            self.layers.append(Layer(self.unique("output"), "identity", {}, [val.ref], val.shape))
        self.output = val

    def live(self, ref: str) -> set:
        seen, todo = set(), [ref]
        while todo:
            r = todo.pop()
            if r in seen or r == INPUT:
                continue
            seen.add(r)
            todo.extend(self.index[r].inputs)
        return seen


def pooled_output(m: Mapper, val: Val) -> Val:
    """A global pool whose (N, C, 1, 1) output is the graph's output, not flattened: an adaptive pool
    to size 1 (a 1x1xC image, or 1xC sequence), where the registry has one."""
    layer = m.index.get(val.ref)
    kinds = {"global_avgpool": "adaptive_avgpool", "global_maxpool": "adaptive_maxpool"}
    if (layer is None or layer.type not in kinds or kinds[layer.type] not in REGISTRY or len(val.axes) < 2
            or any(a is not None for a in val.axes[1:]) or val.axes[0] != 0
            or any(val.ref in other.inputs for other in m.layers)):
        return val
    c = val.shape[0]
    layer.type, layer.attrs = kinds[layer.type], {"size": 1}
    layer.shape = (1, 1, c) if len(val.axes) == 3 else (1, c)
    axes = (2, 0, 1) if len(val.axes) == 3 else (1, 0)
    return Val(layer.name, layer.shape, axes, val.tensor)


# the layers that exporters write as several nodes: (layer type, finder, emit, message prefix)
PATTERNS = (("attention", find_regions, attention.emit, "attention: "),
            ("rmsnorm", find_rmsnorms, norms.emit, ""),
            ("groupnorm", norms.find_groupnorms, norms.emit_groupnorm, ""))


# --------------------------------------------------------------------------------------------
# handlers: one per ONNX op type

def _window(m: Mapper, node, a: dict, x: Val, k: tuple) -> tuple:
    """(stride, dilation, (t, b, l, r) padding) of a 2-D window op, auto_pad resolved."""
    s = tuple(a.get("strides", (1, 1)))
    d = tuple(a.get("dilations", (1, 1)))
    h, w, _ = x.shape
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        (t, b), (l, r) = same_pads(h, k[0], s[0], d[0]), same_pads(w, k[1], s[1], d[1])
        if auto == "SAME_LOWER":
            t, b, l, r = b, t, r, l
    elif auto == "VALID":
        t = b = l = r = 0
    else:
        pads = tuple(a.get("pads", (0, 0, 0, 0)))
        t, l, b, r = pads
    if x.pad is not None:
        pt, pb, pl, pr = x.pad
        t, b, l, r = t + pt, b + pb, l + pl, r + pr
    return s, d, (t, b, l, r)


def _window_attrs(k, s, d, pads, h, w, same_default: bool, stride_default) -> tuple[dict, list]:
    """The attributes of a window op, and the ways its padding may be written (for --blocks)."""
    out = {"kernel": _pair_text(*k)}
    if s != stride_default:
        out["stride"] = _pair_text(*s)
    t, b, l, r = pads
    is_same = (t, b) == same_pads(h, k[0], s[0], d[0]) and (l, r) == same_pads(w, k[1], s[1], d[1])
    if same_default and not is_same:
        out["padding"] = padding_text(t, b, l, r)
    elif not same_default and any(pads):
        out["padding"] = padding_text(t, b, l, r)
    if d != (1, 1):
        out["dilation"] = _pair_text(*d)
    options = [out.get("padding")]
    if same_default and is_same:
        options.append(padding_text(t, b, l, r))
    return out, options


def as_rows(handler):
    """A window op on a sequence (N, C, L) as the same op on an image of one row (N, C, 1, L), its
    attributes written back in the 1-D forms netspec takes on sequences (an integer kernel, stride
    and dilation; padding [before, after])."""

    def lifted(m: Mapper, node, a: dict) -> None:
        x = m.vals.get(node.input[0])
        if x is None or not x.is_ncl() or not ROW_OPS:
            return handler(m, node, a)
        out = m.out_shape(node)
        saved_w = {n: m.g.weights[n] for n in node.input[1:2] if n in m.g.weights}
        row = Val(x.ref, (1, *x.shape), (2, 0, 1), x.tensor, x.pad, x.pad_value, x.pad_node)
        b = {k: ([1, *v] if k in ("kernel_shape", "strides", "dilations", "output_padding") else v) for k, v in a.items()}
        if "pads" in a:
            b["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
        try:
            m.vals[node.input[0]] = row
            for n, dims in saved_w.items():
                m.g.weights[n] = (*dims[:2], 1, *dims[2:])
            m.g.shapes[node.output[0]] = (*out[:2], 1, *out[2:])
            before = len(m.layers)
            handler(m, node, b)
        finally:
            m.vals[node.input[0]] = x
            m.g.weights.update(saved_w)
            m.g.shapes[node.output[0]] = out
        if len(m.layers) > before:
            layer = m.layers[-1]
            layer.shape = layer.shape[1:]
            layer.attrs = {k: _row_value(k, v) for k, v in layer.attrs.items()}
            if layer.padding_options:
                layer.padding_options = [_row_value("padding", v) for v in layer.padding_options]
            m.vals[node.output[0]] = Val(layer.name, layer.shape, (1, 0), node.output[0])

    return lifted


def _row_value(key: str, v):
    """A 2-D window attribute of a one-row image in its 1-D form."""
    if key in ("kernel", "stride", "dilation", "output_padding") and isinstance(v, list):
        return v[1]
    if key == "padding" and isinstance(v, list):
        t, b, l, r = (v[0], v[0], v[1], v[1]) if len(v) == 2 else v
        return l if l == r else [l, r]
    return v


def conv(m: Mapper, node, a: dict) -> None:
    x = m.data(node)
    wdims = m.weight(node, 1)
    bias = m.weight(node, 2) is not None
    if len(wdims) == 3:
        return conv1d(m, node, a, x, wdims, bias)
    if len(wdims) != 4:
        raise Unsupported(f"a {len(wdims) - 2}-D convolution (netspec has 2-D convolutions)")
    if x.is_vector() and len(x.axes) == 3 and x.pad is None and _pointwise(a, wdims):
        if wdims[1] != x.shape[0]:
            raise Unsupported(f"its weight {list(wdims)} does not fit the {x.shape[0]} input channels")
        layer = m.add(node, "dense", {"units": wdims[0]}, [x.ref], (wdims[0],), bias=bias)
        m.vals[node.output[0]] = Val(layer.name, (wdims[0],), x.axes, node.output[0])
        return
    if not x.is_nchw():
        raise Unsupported("its input is not laid out as an NCHW image")
    if x.pad is not None and x.pad_value != 0:
        raise Unsupported(f"a Pad with value {x.pad_value} before a convolution (only zeros are padding)",
                          x.pad_node)
    h, w, c = x.shape
    f, k = wdims[0], tuple(a.get("kernel_shape", wdims[2:]))
    g = a.get("group", 1)
    s, d, pads = _window(m, node, a, x, k)
    if c != wdims[1] * g:
        raise Unsupported(f"its weight {list(wdims)} in {g} group(s) does not fit the {c} input channels")
    window, options = _window_attrs(k, s, d, pads, h, w, True, (1, 1))
    if g == c and c > 1 and f % c == 0:
        type_, attrs = "depthwise", window
        if f != c:
            attrs["multiplier"] = f // c
    else:
        type_, attrs = "conv", {"filters": f, **window}
        if g != 1:
            attrs["groups"] = g
    m.emit(node, type_, attrs, x, bias=bias, padding_options=options)


def _pointwise(a: dict, wdims) -> bool:
    """A 1x1 convolution without stride, padding, dilation or groups: a dense layer per position."""
    return (all(k == 1 for k in wdims[2:]) and all(v == 1 for v in a.get("strides", (1,)))
            and not any(a.get("pads", ())) and all(v == 1 for v in a.get("dilations", (1,)))
            and a.get("group", 1) == 1 and a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET", b"VALID", "VALID"))


def conv1d(m: Mapper, node, a, x: Val, wdims, bias: bool) -> None:
    """A 1x1 Conv1d on a sequence is a dense layer on its channels (netspec's export writes one)."""
    if x.is_ncl() and ROW_OPS and not (_pointwise(a, wdims) and x.pad is None):
        return as_rows(conv)(m, node, a)
    if not (_pointwise(a, wdims) and x.pad is None and x.is_ncl()):
        raise Unsupported("a 1-D convolution (netspec has 2-D convolutions; a 1x1 one maps to dense)")
    if wdims[1] != x.shape[-1]:
        raise Unsupported(f"its weight {list(wdims)} does not fit the {x.shape[-1]} input channels")
    m.emit(node, "dense", {"units": wdims[0]}, x, bias=bias)


def conv_transpose(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    wdims = m.weight(node, 1)
    bias = m.weight(node, 2) is not None
    if len(wdims) != 4 or not x.is_nchw():
        raise Unsupported("not a 2-D transposed convolution of an NCHW image")
    if a.get("group", 1) != 1:
        raise Unsupported("a grouped transposed convolution (netspec's deconv has no groups)")
    h, w, c = x.shape
    if wdims[0] != c:
        raise Unsupported(f"its weight {list(wdims)} does not fit the {c} input channels")
    k = tuple(a.get("kernel_shape", wdims[2:]))
    s = tuple(a.get("strides", (1, 1)))
    d = tuple(a.get("dilations", (1, 1)))
    op = tuple(a.get("output_padding", (0, 0)))
    out = m.out_shape(node)
    full = [(n - 1) * st + dd * (kk - 1) + 1 + o for n, st, dd, kk, o in zip((h, w), s, d, k, op)]
    if "output_shape" in a or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        crops = [fl - o for fl, o in zip(full, out[2:])]
        (t, b), (l, r) = [(cr // 2, cr - cr // 2) for cr in crops]
    else:
        t, l, b, r = tuple(a.get("pads", (0, 0, 0, 0)))
    attrs = {"filters": wdims[1], "kernel": _pair_text(*k)}
    if s != (1, 1):
        attrs["stride"] = _pair_text(*s)
    attrs["padding"] = padding_text(t, b, l, r)
    if op != (0, 0):
        attrs["output_padding"] = _pair_text(*op)
    if d != (1, 1):
        attrs["dilation"] = _pair_text(*d)
    m.emit(node, "deconv", attrs, x, bias=bias)


def batch_norm(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    m.channel_check(x, 1, "a batch norm")
    if m.weight(node, 1) != (x.shape[-1],):
        raise Unsupported(f"its scale {list(m.weight(node, 1))} does not fit the {x.shape[-1]} channels")
    layer = m.fusable(x)
    if layer is not None and not layer.batchnorm and layer.activation is None:
        layer.batchnorm = True
        layer.nodes.append(node.name)
        m.same_view(node, x, layer)
        return
    layer = m.add(node, "batchnorm", {}, [x.ref], x.shape)
    m.same_view(node, x, layer)


def clip(m: Mapper, node, a: dict) -> None:
    lo = m.const(node, 1) if len(node.input) > 1 else a.get("min")
    hi = m.const(node, 2) if len(node.input) > 2 else a.get("max")
    lo = None if lo is None else float(np.asarray(lo).reshape(-1)[0])
    hi = None if hi is None else float(np.asarray(hi).reshape(-1)[0])
    if lo == 0 and hi == 6:
        return m.activation(node, "relu6")
    if lo == 0 and (hi is None or math.isinf(hi)):
        return m.activation(node, "relu")
    if lo == -1 and hi == 1 and "hardtanh" in REGISTRY:
        return m.activation(node, "hardtanh")
    raise Unsupported(f"Clip to [{lo}, {hi}] (netspec has relu, [0, inf), and relu6, [0, 6])")


def hard_sigmoid(m: Mapper, node, a: dict) -> None:
    if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
        raise Unsupported(f"HardSigmoid with alpha {a.get('alpha', 0.2):g}, beta {a.get('beta', 0.5):g} "
                          "(netspec's hsigmoid is relu6(x + 3) / 6)")
    m.activation(node, "hsigmoid")


def softmax(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    m.channel_check(x, a.get("axis", -1), "a softmax")
    m.activation(node, "softmax")


def simple_activation(kind: str):
    def handler(m: Mapper, node, a: dict) -> None:
        m.activation(node, kind)
    return handler


def newer_activation(kind: str, alpha: float | None = None):
    """An activation of format 1.1 (mish, elu, softplus): mapped where the registry has it."""

    def handler(m: Mapper, node, a: dict) -> None:
        if kind not in REGISTRY:
            raise Unsupported(f"no netspec layer computes {node.op_type} in this version")
        m.activation(node, kind)
        if alpha is not None and abs(a.get("alpha", alpha) - alpha) > 1e-9:
            layer = m.index[m.vals[node.output[0]].ref]
            layer.note = f"{kind} alpha {a['alpha']:g} (netspec records none; counts do not depend on it)"
    return handler


def prelu(m: Mapper, node, a: dict) -> None:
    """PRelu with a learned slope per channel: prelu (C parameters, fused or not)."""
    if "prelu" not in REGISTRY:
        raise Unsupported("no netspec layer computes PRelu in this version")
    x = m.data(node)
    sources = m.g.sources(node.input[1])  # the slopes, maybe reshaped to broadcast (Unsqueeze)
    held = sum(math.prod(m.g.weights.get(n) or ()) for n in sources)
    if len(sources) != 1 or held != x.shape[-1]:
        raise Unsupported(f"a PRelu with {held} learned slope(s) (netspec's prelu has one per channel, "
                          f"{x.shape[-1]})")
    m.activation(node, "prelu")


def leaky_relu(m: Mapper, node, a: dict) -> None:
    m.activation(node, "leaky_relu")
    slope = a.get("alpha", 0.01)
    if abs(slope - 0.01) > 1e-9:
        layer = m.index[m.vals[node.output[0]].ref]
        layer.note = f"leaky_relu slope {slope:g} (netspec records none; counts do not depend on it)"


def _operands(m: Mapper, node):
    vals = [m.vals.get(n) for n in node.input]
    return vals


def binary(kind: str):
    """Add / Mul / Sum of activations (broadcasting as netspec does); MatMul + Add of a vector is a
    dense bias, x * Sigmoid(x) is swish."""

    def handler(m: Mapper, node, a: dict) -> None:
        vals = _operands(m, node)
        if all(v is not None for v in vals):
            if kind == "multiply" and len(vals) == 2 and _swish(m, node, vals):
                return
            return merge(m, node, kind, [m.no_pad(v) for v in vals])
        live = [v for v in vals if v is not None]
        if kind == "add" and len(vals) == 2 and len(live) == 1 and _dense_bias(m, node, live[0], vals):
            return
        if len(vals) == 2 and len(live) == 1 and _learned_operand(m, node, kind, m.no_pad(live[0]), vals):
            return
        raise Unsupported(f"{node.op_type} with a constant operand (netspec adds and multiplies activations)")

    return handler


def _dense_bias(m: Mapper, node, x: Val, vals) -> bool:
    other = node.input[0] if vals[0] is None else node.input[1]
    dims = m.g.weights.get(other) or (m.g.shapes.get(other) if other in m.g.consts else None)
    layer = m.fusable(x)
    if (layer is None or layer.type != "dense" or layer.bias or layer.batchnorm or layer.activation
            or dims is None or tuple(d for d in dims if d != 1) != (layer.attrs["units"],) or dims[-1] == 1):
        return False
    layer.bias = True
    layer.nodes.append(node.name)
    m.same_view(node, x, layer)
    return True


def _learned_operand(m: Mapper, node, kind: str, x: Val, vals) -> bool:
    """x + a learned table of every position and channel: position_embedding (its table may be longer
    than the positions: the exporter slices it); x * a learned vector of channels: layer_scale."""
    other = node.input[0] if vals[0] is None else node.input[1]
    sources = m.g.sources(other)
    shape = m.g.shapes.get(other)
    if len(sources) != 1 or shape is None or len(x.shape) == 0 or x.tokens:
        return False
    held = m.g.weights.get(next(iter(sources)))
    if held is None:
        return False
    held = math.prod(held)
    rank = len(x.axes) + 1
    dims = (1,) * (rank - len(shape)) + tuple(shape)
    if len(dims) != rank or dims[0] != 1:
        return False
    c = x.shape[-1]
    on = [i for i in range(1, rank) if dims[i] != 1]
    if kind == "multiply" and on == [x.channel_axis] and dims[x.channel_axis] == c and held == c:
        layer = m.add(node, "layer_scale", {}, [x.ref], x.shape)
    elif kind == "add" and len(x.shape) >= 2 and tuple(dims[1:]) == x.onnx_shape() and held % c == 0:
        rows = held // c
        positions = math.prod(x.shape[:-1])
        if rows < positions:
            return False
        layer = m.add(node, "position_embedding", {"max_length": rows} if rows != positions else {}, [x.ref],
                      x.shape)
    else:
        return False
    _name_after(m, layer, next(iter(sources)))
    m.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])
    return True


def _name_after(m: Mapper, layer: Layer, weight: str) -> None:
    """A layer named after its op only (`add`) takes its learned weight's name (`wpe.weight` -> wpe)."""
    if not layer.generic:
        return
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", re.sub(r"\.(weight|bias|gamma|tokens)$", "", weight)).strip("_")
    if name and re.match(r"[A-Za-z_]", name) and name not in m.index and name != INPUT:
        del m.index[layer.name]
        layer.name, layer.generic = name, False
        m.index[name] = layer


def split(m: Mapper, node, a: dict) -> None:
    """Split of the channels into halves a, b read only by a * Sigmoid(b): glu (nn.GLU's export);
    any other Split of one axis: a slice per part."""
    x = m.no_pad(m.data(node))
    k, axis = _axis_name(x, a.get("axis", 0))
    readers = m.readers
    sizes = a.get("split") or ([int(v) for v in m.const(node, 1)] if len(node.input) > 1 and node.input[1] else None)
    n, parts = x.shape[k], len(node.output)
    if sizes is None:  # equal parts, the last smaller (ONNX's rule)
        size = -(-n // parts)
        sizes = [min(size, n - i * size) for i in range(parts)]
    c = x.shape[-1]
    if axis == "channels" and parts == 2 and list(sizes) == [c // 2, c // 2] and c % 2 == 0 and "glu" in REGISTRY:
        first, second = node.output
        sig = readers.get(second, [])
        mul = readers.get(sig[0].output[0], []) if len(sig) == 1 and sig[0].op_type == "Sigmoid" else []
        if len(mul) == 1 and mul[0].op_type == "Mul" and readers.get(first) == [mul[0]] and \
                set(mul[0].input) == {first, sig[0].output[0]}:
            shape = (*x.shape[:-1], c // 2)
            layer = m.add(node, "glu", {}, [x.ref], shape)
            layer.nodes += [sig[0].name, mul[0].name]
            m.skip.update([id(sig[0]), id(mul[0])])
            m.vals[mul[0].output[0]] = Val(layer.name, shape, x.axes, mul[0].output[0])
            return
    if "slice" not in REGISTRY or sum(sizes) != n or min(sizes) < 1:
        raise Unsupported(f"a Split of the {axis} into {list(sizes)} (netspec slices one part at a time)")
    start = 0
    for out, size in zip(node.output, sizes):
        attrs = {"axis": axis, **({"start": start} if start else {}), **({"stop": start + size} if start + size < n
                                                                          else {})}
        shape = (*x.shape[:k], size, *x.shape[k + 1:])
        layer = m.add(node, "slice", attrs, [x.ref], shape)
        m.vals[out] = Val(layer.name, shape, x.axes, out)
        start += size


def depth_to_space(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    mode = a.get("mode", b"DCR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if not x.is_nchw() or mode != "CRD":
        raise Unsupported(f"a DepthToSpace in {mode} order (netspec's depth_to_space is PixelShuffle's, CRD)")
    b = a["blocksize"]
    h, w, c = x.shape
    if c % (b * b):
        raise Unsupported(f"a DepthToSpace of {c} channels in blocks of {b}x{b}")
    m.emit(node, "depth_to_space", {"block": b}, x)


AXIS_NAMES = {3: ("height", "width", "channels"), 2: ("length", "channels"), 1: ("channels",)}


def _axis_name(x: Val, onnx_axis: int) -> tuple[int, str]:
    """(netspec axis, its name) of an ONNX axis of x; Unsupported for the batch or a size-1 axis."""
    rank = len(x.axes) + 1
    onnx_axis %= rank
    if onnx_axis == 0 or x.axes[onnx_axis - 1] is None:
        raise Unsupported(f"an op on ONNX axis {onnx_axis}, which netspec does not have")
    k = x.axes[onnx_axis - 1]
    return k, AXIS_NAMES[len(x.shape)][k]


def _slice_layer(m: Mapper, node, x: Val, onnx_axis: int, attrs: dict) -> None:
    if "slice" not in REGISTRY:
        raise Unsupported("a slice of activations (netspec's `slice` is not in this version)")
    k, name = _axis_name(x, onnx_axis)
    out = m.out_shape(node)
    if "index" in attrs:
        if name == "channels":
            raise Unsupported("one channel taken out (netspec's slice keeps the channel axis)")
        shape = x.shape[:k] + x.shape[k + 1:]
        axes = tuple(ax if ax is None or ax < k else ax - 1 for i, ax in enumerate(x.axes) if i != onnx_axis - 1)
    else:
        shape = tuple(out[1 + x.axes.index(i)] for i in range(len(x.shape)))
        axes = x.axes
    layer = m.add(node, "slice", {"axis": name, **attrs}, [x.ref], shape)
    m.vals[node.output[0]] = Val(layer.name, shape, axes, node.output[0])


def slice_(m: Mapper, node, a: dict) -> None:
    """A Slice of one axis of an activation: netspec's `slice` (start/stop/step)."""
    x = m.no_pad(m.data(node))
    starts, ends = m.const(node, 1), m.const(node, 2)
    axes = m.const(node, 3) if len(node.input) > 3 and node.input[3] else list(range(len(starts)))
    steps = m.const(node, 4) if len(node.input) > 4 and node.input[4] else [1] * len(starts)
    if starts is None or ends is None or len(starts) != 1:
        raise Unsupported("a Slice of several axes at once (netspec slices one axis)")
    n = m.g.shapes[node.input[0]][int(axes[0])]
    start, stop, step = int(starts[0]), int(ends[0]), int(steps[0])
    if step < 1:
        raise Unsupported("a Slice backwards (netspec's step is positive)")
    attrs = {}
    if start:
        attrs["start"] = start
    if stop < n and not (stop < 0 and stop + n >= n):
        attrs["stop"] = stop
    if step != 1:
        attrs["step"] = step
    _slice_layer(m, node, x, int(axes[0]), attrs)


def gather(m: Mapper, node, a: dict) -> None:
    """A Gather of rows of a learned table by the token ids: an embedding; one position of an
    activation's axis (a constant index): a slice with `index`."""
    ids = m.vals.get(node.input[1]) if len(node.input) > 1 else None
    x = m.vals.get(node.input[0])
    index = m.g.consts.get(node.input[1]) if len(node.input) > 1 else None
    if x is not None and ids is None and index is not None and np.asarray(index).ndim == 0:
        return _slice_layer(m, node, m.no_pad(x), a.get("axis", 0), {"index": int(index)})
    if ids is None or not ids.tokens:
        raise Unsupported("a Gather that is no embedding lookup (rows of a learned table by the token ids)")
    if a.get("axis", 0) != 0 or not m.g.sources(node.input[0]) or node.input[0] not in m.g.weights:
        raise Unsupported("a Gather of token ids from something else than a learned table's rows")
    dims = m.g.weights[node.input[0]]
    if len(dims) != 2:
        raise Unsupported(f"an embedding table of {len(dims)} dimensions")
    vocab, dim = dims
    layer = m.add(node, "embedding", {"vocab": vocab, "dim": dim}, [ids.ref], (ids.shape[0], dim))
    m.vals[node.output[0]] = Val(layer.name, layer.shape, (0, 1), node.output[0])
    m.tables[m.g.weight_origin.get(node.input[0], node.input[0])] = layer.name


def _tie(m: Mapper, name: str, attrs: dict) -> dict:
    """A dense weight that is an embedding's table (transposed): `tie` to that embedding."""
    table = m.tables.get(m.g.weight_origin.get(name, name))
    if table is not None:
        attrs["tie"] = table
    return attrs


def _swish(m: Mapper, node, vals) -> bool:
    for x, s in (vals, vals[::-1]):
        sig = m.index.get(s.ref)
        if (sig is not None and sig.type == "sigmoid" and sig.inputs == [x.ref] and s.axes == x.axes
                and m.g.consumers.get(s.tensor) == 1 and sig.name == m.layers[-1].name):
            m.layers.pop()
            del m.index[sig.name]
            producer = m.index.get(x.ref)
            if (producer is not None and producer.activation is None and x.pad is None
                    and m.g.consumers.get(x.tensor) == 2):
                producer.activation = "swish"
                producer.nodes += [*sig.nodes, node.name]
                m.vals[node.output[0]] = Val(producer.name, x.shape, x.axes, node.output[0])
                return True
            layer = m.add(node, "swish", {}, [x.ref], x.shape)
            m.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])
            return True
    return False


def merge(m: Mapper, node, kind: str, vals: list[Val]) -> None:
    """add/multiply of activations: one operand's layout is the output's; the others are the same
    tensor layout, or vectors of its channels (netspec broadcasts a vector C over an image)."""
    out_shape = m.out_shape(node)
    main = next((v for v in vals if v.onnx_shape() == tuple(out_shape[1:])), None)
    if main is None:
        raise Unsupported("its operands broadcast to a shape neither of them has")
    for v in vals:
        same = v.shape == main.shape and v.axes == main.axes
        vector = len(v.shape) == 1 and v.channel_axis == main.channel_axis
        ones = v.axes == main.axes and len(v.shape) == len(main.shape) and all(  # size-1 axes broadcast
            a in (b, 1) for a, b in zip(v.shape, main.shape))
        if not (same or vector or ones):
            raise Unsupported("its operands broadcast in a way netspec does not (channels-last, a vector of "
                              "channels over an image)")
    layer = m.add(node, kind, {}, [v.ref for v in vals], main.shape)
    m.vals[node.output[0]] = Val(layer.name, main.shape, main.axes, node.output[0])


def concat(m: Mapper, node, a: dict) -> None:
    vals = [m.no_pad(v) for v in _operands(m, node) if v is not None]
    if len(vals) == 1 and len(node.input) == 2 and node.input[1] in m.vals and _class_token(m, node, a, vals[0]):
        return
    if len(vals) != len(node.input):
        raise Unsupported("Concat with a constant operand")
    first = vals[0]
    for v in vals:
        if v.axes != first.axes:
            raise Unsupported("its inputs have different layouts")
    k, name = _axis_name(first, a.get("axis", 1))
    attrs = {}
    if name != "channels":
        if not any(attr.name == "axis" for attr in REGISTRY["concat"].attrs):
            raise Unsupported(f"a concatenation on the {name} (netspec's concat joins channels in this version)")
        attrs["axis"] = name
    out = m.out_shape(node)
    shape = tuple(out[1 + first.axes.index(i)] for i in range(len(first.shape)))
    layer = m.add(node, "concat", attrs, [v.ref for v in vals], shape)
    m.vals[node.output[0]] = Val(layer.name, shape, first.axes, node.output[0])


def _class_token(m: Mapper, node, a: dict, x: Val) -> bool:
    """Learned tokens concatenated in front of a sequence's positions: class_token."""
    tokens = node.input[0]
    sources, shape = m.g.sources(tokens), m.g.shapes.get(tokens)
    if len(x.shape) != 2 or len(sources) != 1 or shape is None or len(shape) != 3:
        return False
    rank, axis = 3, a.get("axis", 1) % 3
    if axis == 0 or x.axes[axis - 1] != 0:
        return False
    count, c = shape[axis], x.shape[-1]
    held = m.g.weights.get(next(iter(sources)))
    if held is None or math.prod(held) != count * c or shape[x.channel_axis] != c:
        return False
    out = (x.shape[0] + count, c)
    layer = m.add(node, "class_token", {"count": count} if count != 1 else {}, [x.ref], out)
    _name_after(m, layer, next(iter(sources)))
    m.vals[node.output[0]] = Val(layer.name, out, x.axes, node.output[0])
    return True


def pool(kind: str):
    def handler(m: Mapper, node, a: dict) -> None:
        x = m.data(node)
        if not x.is_nchw():
            raise Unsupported("pooling over something else than an NCHW image (netspec pools 2-D images)")
        if x.pad is not None and not (x.pad_value == 0 if kind == "avgpool" else x.pad_value < -1e30):
            raise Unsupported(f"a Pad with value {x.pad_value} before a {kind}", x.pad_node)
        if tuple(a.get("dilations", (1, 1))) != (1, 1):
            raise Unsupported("a dilated pool (netspec's pools are not dilated)")
        h, w, _ = x.shape
        k = tuple(a["kernel_shape"])
        s, d, pads = _window(m, node, a, x, k)
        attrs, _ = _window_attrs(k, s, d, pads, h, w, False, k)
        if a.get("ceil_mode", 0):
            attrs["ceil_mode"] = True
            torch_rule = tuple(_ceil_pool(n, kk, st, lo, hi) for n, kk, st, lo, hi in
                               zip((h, w), k, s, pads[0::2], pads[1::2]))
            if torch_rule != tuple(m.out_shape(node)[2:]):
                raise Unsupported(f"a ceil_mode pool whose last window would start in the padding: ONNX's shape rule "
                                  f"gives {tuple(m.out_shape(node)[2:])}, PyTorch's (netspec's) {torch_rule}")
        m.emit(node, kind, attrs, x)
    return handler


def _ceil_pool(n: int, k: int, s: int, lo: int, hi: int) -> int:
    """PyTorch's ceil_mode output size: no window may start in the padding after the input."""
    out = -(-(n + lo + hi - k) // s) + 1
    if (out - 1) * s >= n + lo:
        out -= 1
    return out


def global_pool(kind: str):
    def handler(m: Mapper, node, a: dict) -> None:
        x = m.no_pad(m.data(node))
        if len(x.shape) == 1:
            raise Unsupported("a global pool of a vector")
        _global(m, node, kind, x, keepdims=True)
    return handler


def _global(m: Mapper, node, kind: str, x: Val, keepdims: bool) -> None:
    c = x.shape[-1]
    layer = m.add(node, kind, {}, [x.ref], (c,))
    axes = tuple(0 if a == len(x.shape) - 1 else None for a in x.axes) if keepdims else (0,)
    m.vals[node.output[0]] = Val(layer.name, (c,), axes, node.output[0])


def optional_axes(m: Mapper, node, a: dict) -> list[int] | None:
    """A node's `axes`: an attribute up to opset 12, an optional second input from opset 13."""
    axes = a.get("axes")
    if axes is None and len(node.input) > 1:
        axes = [int(v) for v in m.const(node, 1)]
    return axes


def reduce(kind: str):
    """ReduceMean / ReduceMax over every axis but the batch and the channels: a global pool."""

    def handler(m: Mapper, node, a: dict) -> None:
        x = m.no_pad(m.data(node))
        axes = optional_axes(m, node, a)
        rank = len(x.axes) + 1
        axes = sorted(int(v) % rank for v in (axes if axes is not None else range(rank)))
        spatial = [i + 1 for i, ax in enumerate(x.axes) if ax is not None and ax != len(x.shape) - 1]
        if len(x.shape) == 1 or not set(spatial) <= set(axes) or 0 in axes or x.channel_axis in axes:
            raise Unsupported(f"{node.op_type} over axes {axes}, not every spatial axis (a global pool)")
        _global(m, node, kind, x, keepdims=bool(a.get("keepdims", 1)))

    return handler


def flatten(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    if a.get("axis", 1) != 1:
        raise Unsupported(f"Flatten at axis {a.get('axis')} (netspec flattens everything but the batch)")
    _to_vector(m, node, x)


def _to_vector(m: Mapper, node, x: Val) -> None:
    if len(x.shape) == 1:
        m.alias(node, x, (0,))
        return
    n = math.prod(x.shape)
    layer = m.add(node, "flatten", {}, [x.ref], (n,))
    m.vals[node.output[0]] = Val(layer.name, (n,), (0,), node.output[0])


def reshape(m: Mapper, node, a: dict) -> None:
    x = m.data(node, shuffle_ok=True)
    out = m.out_shape(node)
    if x.pixel is not None or (x.is_nchw() and x.pad is None and len(out) == 6):
        return _pixel(m, node, x, tuple(out[1:]))
    if x.shuffle is not None or (x.is_nchw() and x.pad is None and len(out) == 5):
        return _shuffle(m, node, x, out)
    x = m.no_pad(x)
    if tuple(out[1:]) == x.onnx_shape():
        return m.alias(node, x, x.axes)
    if len(out) == 2 and out[1] == math.prod(x.shape):
        return _to_vector(m, node, x)
    if _sequence_view(m, node, x, tuple(out[1:])):
        return
    if len(x.shape) == 1 and sorted(d for d in out[1:] if d != 1) == [x.shape[0]]:
        return m.alias(node, x, tuple(0 if d == x.shape[0] else None for d in out[1:]))
    raise Unsupported(f"a Reshape from {x.onnx_shape()} to {tuple(out[1:])} that is no flatten")


def _sequence_view(m: Mapper, node, x: Val, out: tuple) -> bool:
    """An image's positions flattened in row-major order (to_sequence), or a sequence unflattened
    into an image (to_image), channels first or last: views netspec writes as layers."""
    if len(x.shape) == 3 and x.axes in ((2, 0, 1), (0, 1, 2)) and len(out) == 2:
        h, w, c = x.shape
        axes = (1, 0) if x.axes == (2, 0, 1) else (0, 1)
        if out == ((c, h * w) if axes == (1, 0) else (h * w, c)):
            layer = m.add(node, "to_sequence", {}, [x.ref], (h * w, c))
            m.vals[node.output[0]] = Val(layer.name, layer.shape, axes, node.output[0])
            return True
    if len(x.shape) == 2 and x.axes in ((1, 0), (0, 1)) and len(out) == 3:
        length, c = x.shape
        h, w = out[1:] if x.axes == (1, 0) else out[:2]
        if (out[0] if x.axes == (1, 0) else out[2]) == c and h * w == length:
            layer = m.add(node, "to_image", {"height": h, "width": w}, [x.ref], (h, w, c))
            m.vals[node.output[0]] = Val(layer.name, layer.shape, (2, 0, 1) if x.axes == (1, 0) else (0, 1, 2),
                                         node.output[0])
            return True
    return False


def _pixel(m: Mapper, node, x: Val, out: tuple) -> None:
    """PixelUnshuffle (space_to_depth) and PixelShuffle (depth_to_space) as PyTorch exports them:
    Reshape into blocks, Transpose, Reshape back to an image."""
    h, w, c = x.shape
    if x.pixel is None:
        b = out[2]
        if out == (c, h // b, b, w // b, b) and b > 1 and h % b == 0 and w % b == 0:
            kind = "space_to_depth"
        elif out[1] == out[2] and out[1] > 1 and out == (c // out[1] ** 2, out[1], out[1], h, w):
            kind, b = "depth_to_space", out[1]
        else:
            raise Unsupported(f"a Reshape from {x.onnx_shape()} to {out} that is no PixelShuffle or PixelUnshuffle")
        m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0], pixel=(kind, b, False, node))
        return
    kind, b, swapped, _ = x.pixel
    shape = (h // b, w // b, c * b * b) if kind == "space_to_depth" else (h * b, w * b, c // (b * b))
    if not swapped or out != (shape[2], shape[0], shape[1]):
        raise Unsupported(f"a Reshape of blocks to {out} that is no {kind}")
    layer = m.add(node, kind, {"block": b}, [x.ref], shape)
    m.vals[node.output[0]] = Val(layer.name, shape, x.axes, node.output[0])


PIXEL_PERMS = {"space_to_depth": [0, 1, 3, 5, 2, 4], "depth_to_space": [0, 1, 4, 2, 5, 3]}


def _shuffle(m: Mapper, node, x: Val, out: tuple) -> None:
    """ShuffleNet's channel shuffle, as torchvision writes it: Reshape (N, g, C/g, H, W), Transpose
    of the two group axes, Reshape back to (N, C, H, W)."""
    h, w, c = x.shape
    if x.shuffle is None:
        if out[1] * out[2] != c or tuple(out[3:]) != (h, w):
            raise Unsupported(f"a Reshape from {x.onnx_shape()} to {tuple(out[1:])} that is no channel shuffle")
        m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0], shuffle=(out[1], False, node))
        return
    groups, swapped, _ = x.shuffle
    if tuple(out[1:]) != x.onnx_shape():
        raise Unsupported(f"a Reshape of grouped channels to {tuple(out[1:])} (a channel shuffle ends at "
                          f"{x.onnx_shape()})")
    if not swapped:
        return m.alias(node, Val(x.ref, x.shape, x.axes, x.tensor), x.axes)
    layer = m.add(node, "channel_shuffle", {"groups": groups}, [x.ref], x.shape)
    m.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])


def transpose(m: Mapper, node, a: dict) -> None:
    held = m.vals.get(node.input[0])
    if held is not None and held.time_major:
        return recurrent.transpose_back(m, node, held, a.get("perm", [2, 1, 0]))
    x = m.data(node, shuffle_ok=True)
    perm = a.get("perm", list(range(len(x.axes), -1, -1)))
    if recurrent.is_time_first(m, node, x, perm):
        return recurrent.time_first(m, node, x)  # (N, C, L) or (N, L, C) -> (L, N, C): a recurrent node's input
    if x.pixel is not None:
        kind, b, swapped, reshape_node = x.pixel
        if swapped or list(perm) != PIXEL_PERMS[kind]:
            raise Unsupported(f"a Transpose of blocks that is no {kind}")
        m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0], pixel=(kind, b, True, reshape_node))
        return
    if x.shuffle is not None:
        if list(perm) != [0, 2, 1, 3, 4]:
            raise Unsupported("a Transpose of grouped channels that is no channel shuffle")
        groups, swapped, reshape_node = x.shuffle
        m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0],
                                     shuffle=(groups, not swapped, reshape_node))
        return
    if x.pad is not None:
        x = m.no_pad(x)  # a Pad no convolution takes in: netspec's pad layer, where it has one
    if perm[0] != 0:
        raise Unsupported("a Transpose that moves the batch axis")
    m.alias(node, x, tuple(x.axes[p - 1] for p in perm[1:]))


def unsqueeze(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    axes = a.get("axes")
    if axes is None:
        axes = [int(v) for v in m.const(node, 1)]
    rank = len(x.axes) + 1 + len(axes)
    new = [x.axes[i] for i in range(len(x.axes))]
    full = [None] + new  # batch placeholder
    for ax in sorted(int(v) % rank for v in axes):
        if ax == 0:
            raise Unsupported("an Unsqueeze in front of the batch")
        full.insert(ax, None)
    m.alias(node, x, tuple(full[1:]))


def squeeze(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    axes = optional_axes(m, node, a)
    rank = len(x.axes) + 1
    drop = {int(v) % rank for v in axes} if axes is not None else {
        i + 1 for i, ax in enumerate(x.axes) if ax is None or x.shape[ax] == 1}
    if 0 in drop or any(x.axes[i - 1] is not None for i in drop):
        raise Unsupported("a Squeeze of an axis netspec keeps")
    m.alias(node, x, tuple(ax for i, ax in enumerate(x.axes) if i + 1 not in drop))


def identity(m: Mapper, node, a: dict) -> None:
    x = m.data(node)
    m.alias(node, x, x.axes)
    for extra in node.output[1:]:  # Dropout's mask
        if extra and m.g.consumers.get(extra):
            raise Unsupported("a dropout mask read by another node")


def pad(m: Mapper, node, a: dict) -> None:
    x = m.data(node)
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = a.get("pads")
    if pads is None:
        pads = [int(v) for v in m.const(node, 1)]
    value = a.get("value", 0.0)
    if len(node.input) > 2 and node.input[2]:
        value = float(np.asarray(m.const(node, 2)).reshape(-1)[0])
    if len(node.input) > 3 and node.input[3]:
        raise Unsupported("a Pad with explicit axes")
    rank = len(x.axes) + 1
    begin, end = list(pads[:rank]), list(pads[rank:])
    if x.is_ncl() and len(begin) == 3:  # a sequence: the pads of its length, as a row's
        begin, end = [0, 0, 0, begin[2]], [0, 0, 0, end[2]]
    elif not x.is_nchw() or begin[:2] != [0, 0] or end[:2] != [0, 0]:
        begin = None
    if mode in ("reflect", "edge") and begin is not None and begin[:2] == end[:2] == [0, 0] and x.pad is None \
            and min(begin + end) >= 0:
        x = Val(x.ref, x.shape, x.axes, node.output[0], (begin[2], end[2], begin[3], end[3]), 0.0, node)
        m.vals[node.output[0]] = m.pad_layer(x, "reflect" if mode == "reflect" else "replicate")
        return
    if mode != "constant" or begin is None or begin[:2] != [0, 0] or end[:2] != [0, 0]:
        raise Unsupported(f"a {mode} Pad of an ONNX tensor laid out {x.onnx_shape()} (netspec folds a constant "
                          "pad of an image's height and width into the next convolution or pool)")
    t, l, b, r = begin[2], begin[3], end[2], end[3]
    if all(p <= 0 for p in (t, b, l, r)) and _crop(m, node, x, (-t, -b, -l, -r)):
        return
    if any(p < 0 for p in (t, b, l, r)):
        raise Unsupported("a cropping Pad that does not follow a transposed convolution")
    if x.pad is not None and x.pad_value != value:
        raise Unsupported("two Pads with different values")
    old = x.pad or (0, 0, 0, 0)
    m.vals[node.output[0]] = Val(x.ref, x.shape, x.axes, node.output[0],
                                 tuple(o + p for o, p in zip(old, (t, b, l, r))), value, node)


def _crop(m: Mapper, node, x: Val, crop: tuple) -> bool:
    layer = m.fusable(x)
    if layer is None or layer.type != "deconv" or layer.batchnorm or layer.activation:
        return False
    p = layer.attrs["padding"]
    if len(layer.shape) == 2:  # a sequence: [before, after] of its length
        t = b = 0
        l, r = (p, p) if isinstance(p, int) else p
    else:
        t, b, l, r = (p,) * 4 if isinstance(p, int) else ((p[0], p[0], p[1], p[1]) if len(p) == 2 else p)
    new = (t + crop[0], b + crop[1], l + crop[2], r + crop[3])
    layer.attrs["padding"] = _row_value("padding", padding_text(*new)) if len(layer.shape) == 2 \
        else padding_text(*new)
    shape, axes = default_layout(m.out_shape(node))
    layer.shape = shape
    layer.nodes.append(node.name)
    m.vals[node.output[0]] = Val(layer.name, shape, axes, node.output[0])
    return True


def gemm(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    if a.get("transA", 0) or not x.is_vector() or any(ax is not None for ax in x.axes[1:]):
        raise Unsupported("a Gemm whose first operand is not a batch of vectors")
    wdims = m.weight(node, 1)
    if len(wdims) != 2:
        raise Unsupported(f"a Gemm with a {len(wdims)}-D weight")
    i, j = wdims[::-1] if a.get("transB", 0) else wdims
    if i != x.shape[0]:
        raise Unsupported(f"its weight {list(wdims)} does not fit the {x.shape[0]} input features")
    bias = len(node.input) > 2 and bool(node.input[2])
    if bias:
        m.weight(node, 2) if node.input[2] in m.g.weights else m.const(node, 2)
    layer = m.add(node, "dense", _tie(m, node.input[1], {"units": j}), [x.ref], (j,), bias=bias)
    m.vals[node.output[0]] = Val(layer.name, (j,), (0,), node.output[0])


def matmul(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    if node.input[1] in m.vals:
        raise Unsupported("a product of two activations (netspec maps the attention pattern, not a lone MatMul)")
    wdims = m.weight(node, 1)
    if len(wdims) != 2:
        raise Unsupported(f"a MatMul with a {len(wdims)}-D weight")
    if len(x.axes) and x.channel_axis != len(x.axes):
        raise Unsupported("a MatMul over an axis that is not the channels")
    if wdims[0] != x.shape[-1]:
        raise Unsupported(f"its weight {list(wdims)} does not fit the {x.shape[-1]} input features")
    shape = (*x.shape[:-1], wdims[1])
    layer = m.add(node, "dense", _tie(m, node.input[1], {"units": wdims[1]}), [x.ref], shape, bias=False)
    m.vals[node.output[0]] = Val(layer.name, shape, x.axes, node.output[0])


UPSAMPLE_MODES = {"nearest": "nearest", "linear": "bilinear", "cubic": "bicubic"}


def _upsample_has(key: str, value=None) -> bool:
    """Whether this version's upsample takes `key` (and, for an enum, `value`)."""
    attr = next((x for x in REGISTRY["upsample"].attrs if x.name == key), None)
    return attr is not None and (value is None or not isinstance(attr.kind, tuple) or value in attr.kind)


def _number(v: float):
    return int(v) if float(v).is_integer() else v


def resize(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    if not x.is_nchw():
        raise Unsupported("a Resize of something else than an NCHW image")
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    kind = UPSAMPLE_MODES.get(mode)
    if kind is None or not _upsample_has("mode", kind):
        raise Unsupported(f"a {mode} Resize (netspec's upsample has no such mode in this version)")
    h, w, _ = x.shape
    out = m.out_shape(node)
    scales = None
    idx = 2 if node.op_type == "Resize" else 1
    if len(node.input) > idx and node.input[idx]:
        v = m.const(node, idx)
        if v is not None and v.size:
            scales = [float(s) for s in v]
    row = scales is not None and len(scales) == 3  # a sequence, lifted to one row by as_rows
    ho, wo = out[2], out[3]
    if row:
        sh = sw = scales[2]
    elif scales and scales[:2] == [1.0, 1.0]:
        sh, sw = scales[2], scales[3]
    else:
        sh, sw = ho / h, wo / w
    fits = (h if row else math.floor(h * sh), math.floor(w * sw)) == (ho, wo)
    if fits and (sh == sw or row):
        attrs = {"scale": _number(sw)}
    elif fits and _upsample_has("size"):  # the version that takes [sh, sw] also takes size
        attrs = {"scale": [_number(sh), _number(sw)]}
    elif _upsample_has("size") and not row:
        attrs = {"size": _pair_text(ho, wo)}
    else:
        raise Unsupported(f"a Resize from {h}x{w} to {ho}x{wo} (netspec scales both sides alike, by floor(size x "
                          "scale), in this version)")
    if kind != "nearest":
        attrs["mode"] = kind
    m.emit(node, "upsample", attrs, x)


def layer_norm(m: Mapper, node, a: dict) -> None:
    x = m.no_pad(m.data(node))
    rank = len(x.axes) + 1
    if a.get("axis", -1) % rank != rank - 1:
        raise Unsupported("a layer norm over more than the last axis")
    m.channel_check(x, -1, "a layer norm")
    if m.weight(node, 1) != (x.shape[-1],):
        raise Unsupported(f"its scale {list(m.weight(node, 1))} does not fit the {x.shape[-1]} channels")
    if len(node.input) < 3 or not node.input[2]:
        raise Unsupported("a layer norm without a bias (netspec's layernorm has 2*C parameters)")
    m.weight(node, 2)
    layer = m.add(node, "layernorm", {}, [x.ref], x.shape)
    m.vals[node.output[0]] = Val(layer.name, x.shape, x.axes, node.output[0])


HANDLERS = {
    "Conv": conv,
    "ConvTranspose": as_rows(conv_transpose),
    "BatchNormalization": batch_norm,
    "Clip": clip,
    "HardSigmoid": hard_sigmoid,
    "Softmax": softmax,
    "LeakyRelu": leaky_relu,
    "Add": binary("add"),
    "Sum": binary("add"),
    "Mul": binary("multiply"),
    "Concat": concat,
    "MaxPool": as_rows(pool("maxpool")),
    "AveragePool": as_rows(pool("avgpool")),
    "GlobalAveragePool": global_pool("global_avgpool"),
    "GlobalMaxPool": global_pool("global_maxpool"),
    "ReduceMean": reduce("global_avgpool"),
    "ReduceMax": reduce("global_maxpool"),
    "Flatten": flatten,
    "Reshape": reshape,
    "Transpose": transpose,
    "Unsqueeze": unsqueeze,
    "Squeeze": squeeze,
    "Identity": identity,
    "Dropout": identity,
    "Pad": pad,
    "Gemm": gemm,
    "MatMul": matmul,
    "Resize": as_rows(resize),
    "Gather": gather,
    "Split": split,
    "Slice": slice_,
    "DepthToSpace": depth_to_space,
    "Upsample": resize,
    "LayerNormalization": layer_norm,
    "Mish": newer_activation("mish"),
    "Elu": newer_activation("elu", 1.0),
    "Softplus": newer_activation("softplus"),
    "PRelu": prelu,
    **{op: simple_activation(kind) for op, kind in ACTIVATIONS.items() if op != "LeakyRelu"},
}


# The netspec layer types the mapping writes (and those an export to ONNX drops, which cost nothing):
# a spec using other types cannot come back through ONNX until a handler writes them.
PRODUCES = frozenset({"conv", "depthwise", "deconv", "dense", "batchnorm", "layernorm", "add", "multiply", "concat",
                      "maxpool", "avgpool", "global_avgpool", "global_maxpool", "flatten", "upsample",
                      "channel_shuffle", "identity", *ACTIVATIONS.values(), "relu6", "hsigmoid", "softmax", "swish",
                      "silu",  # written as swish: the same function and count
                      "attention", "embedding", "position_embedding", "class_token", "rmsnorm", "layer_scale", "glu",
                      "to_sequence", "to_image", "space_to_depth", "depth_to_space", "slice",
                      "mish", "elu", "softplus", "hardtanh", "prelu", "groupnorm", "pad",
                      "crop",  # as slices (views, as crop is)
                      "adaptive_avgpool", "adaptive_maxpool",  # as the pools PyTorch exports them as
                      "lstm", "gru", "rnn"})
VANISH = frozenset({"dropout", "identity", "separable"})  # separable: a depthwise and a 1x1 conv in ONNX


from . import recurrent  # noqa: E402  (its handlers build on Mapper and Val above)

HANDLERS.update({op: recurrent.recurrent for op in recurrent.CELLS})


def map_graph(g: OnnxGraph) -> Mapper:
    m = Mapper(g)
    m.run()
    return m


__all__ = ["Layer", "Mapper", "Unsupported", "Val", "map_graph", "HANDLERS", "INPUT", "onnx"]
