"""The attention pattern, folded into one `attention` layer.

Exporters write multi-head attention as a subgraph: projections (MatMul with a weight, + bias)
of the input into queries, keys and values, views that split the heads, QKᵀ (a MatMul of two
activations), a scale and masks, Softmax, A·V, views that join the heads, the output projection.
`find_regions` finds it structurally before the mapping runs, from each Softmax whose input comes
from a product of two activations through element-wise ops with constants; the mapping then skips
the region's nodes and writes the layer where the output projection ends.

What is read off the graph: heads and head width from the query tensor at QKᵀ, key/value heads from
the key projection's width, `dim` from the output projection, biases from the Adds after the
projections, `causal` from a triangular mask, `rope` from the rotation (a Neg) on the query path,
`context` from keys concatenated with a constant cache, a window and its shift from the window
reshape and the rolls (Slice + Concat) around it, `relative_position_bias` from a learned table
added to the scores. Then the layer is checked against the graph: the learned weights the region
reads must hold exactly the parameters netspec's attention with those settings has, else it is
refused, never written wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

VIEWS = frozenset({"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"})
SCORE_OPS = frozenset({"Mul", "Div", "Add", "Sub", "Where", "Cast", "Identity", "Dropout", "Reshape", "Flatten",
                       "Unsqueeze", "Squeeze"})
HEAD_OPS = VIEWS | {"Mul", "Div", "Add", "Sub", "Neg", "Slice", "Concat", "Split", "Gather", "Expand", "Tile", "Cast"}
PRODUCTS = ("MatMul", "Gemm")


# what reading an unusual graph may raise: that Softmax is then mapped (and refused) node by node
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError)


class NoMatch(Exception):
    """This Softmax is not the attention pattern (the nodes are mapped one by one, and say why)."""


@dataclass
class Projection:
    """A MatMul/Gemm of an activation by a weight, with the Add of its bias if any."""

    nodes: list
    weight: str
    width: int  # output features
    bias: str | None
    source: str  # the activation it reads
    out: str  # its output (after the bias)


@dataclass
class Region:
    """One attention subgraph: its nodes and what the layer is made of."""

    softmax: object  # the node that names the layer (and the problem, if it cannot be written)
    nodes: set = field(default_factory=set)  # the nodes the mapping skips, by id (names may be empty)
    anchor: int = 0  # the node whose mapping writes the layer (the output projection's last), by id
    q: Projection | None = None
    k: Projection | None = None
    v: Projection | None = None
    o: Projection | None = None
    x: list = field(default_factory=list)  # the tensors the queries are views of, nearest first
    memory: list = field(default_factory=list)  # the tensors keys and values are views of
    q_at_scores: str = ""
    k_at_scores: str = ""
    scores: str = ""
    statics: list = field(default_factory=list)  # (node, static input) of the score chain
    cache: list = field(default_factory=list)  # constant tensors concatenated to keys/values
    head_nodes: list = field(default_factory=list)
    window_shape: tuple | None = None  # a rank-6 window reshape on the input side
    rolls: list = field(default_factory=list)  # (axis, amount) of rolls on the input side
    tail: list = field(default_factory=list)  # [(node, output)] views after the output projection

    @property
    def first(self):
        return self.softmax


class Graph:
    """Producers, consumers and which values depend on the input, over the prepared nodes."""

    def __init__(self, g, dynamic: set) -> None:
        self.g = g
        self.dynamic = dynamic
        self.producer = {out: n for n in g.nodes for out in n.output if out}
        self.readers: dict[str, list] = {}
        for n in g.nodes:
            for name in n.input:
                if name:
                    self.readers.setdefault(name, []).append(n)

    def is_param(self, name: str) -> bool:
        return bool(name) and name not in self.dynamic and bool(self.g.sources(name))

    def only_reader(self, name: str):
        readers = self.readers.get(name, [])
        if len(readers) != 1 or name in self.g.outputs:
            raise NoMatch
        return readers[0]


def find_regions(g, dynamic: set) -> list[Region]:
    graph = Graph(g, dynamic)
    regions = []
    for node in g.nodes:
        if node.op_type == "Softmax":
            try:
                regions.append(_region(graph, node))
            except (NoMatch, *MALFORMED):
                continue
    # an input walks back through views up to another attention's output (never into its views)
    stops = {t for r in regions for t in (r.o.out, *(t for _, t in r.tail)) if t}
    found = []
    for r in regions:
        try:
            _inputs(graph, r, stops)
        except (NoMatch, *MALFORMED):
            continue
        found.append(r)
    return found


def _region(gr: Graph, softmax) -> Region:
    r = Region(softmax)
    nodes = [softmax]
    # the score chain, back to QKᵀ
    t = softmax.input[0]
    while True:
        p = gr.producer.get(t)
        if p is None:
            raise NoMatch
        live = [i for i in p.input if i in gr.dynamic]
        if p.op_type == "MatMul" and len(live) == 2:
            qk = p
            break
        if p.op_type not in SCORE_OPS or len(live) != 1:
            raise NoMatch
        nodes.append(p)
        r.statics += [(p, i) for i in p.input if i and i not in gr.dynamic]
        t = live[0]
    nodes.append(qk)
    r.q_at_scores, r.k_at_scores, r.scores = qk.input[0], qk.input[1], qk.output[0]
    # forward to A·V
    t = softmax.output[0]
    while True:
        c = gr.only_reader(t)
        if c.op_type in ("Cast", "Dropout", "Identity"):
            nodes.append(c)
            t = c.output[0]
            continue
        if c.op_type == "MatMul" and c.input[0] == t and c.input[1] in gr.dynamic:
            av = c
            break
        raise NoMatch
    nodes.append(av)
    # the three branches back to their projections
    for name, start in (("q", qk.input[0]), ("k", qk.input[1]), ("v", av.input[1])):
        proj, branch = _back_to_projection(gr, start, r)
        setattr(r, name, proj)
        nodes += branch + proj.nodes
        r.head_nodes += branch
    # A·V forward to the output projection, then the views after it
    t, between = av.output[0], []
    while True:
        c = gr.only_reader(t)
        if c.op_type in VIEWS:
            between.append(c)
            t = c.output[0]
            continue
        r.o = _projection_at(gr, c, t)
        if r.o is None:
            raise NoMatch
        break
    nodes += between + r.o.nodes
    r.anchor = id(r.o.nodes[-1])
    r.tail = _views_after(gr, r.o.out, r.o.width)
    r.nodes = {id(n) for n in nodes} | {id(n) for n, _ in r.tail}
    return r


def _inputs(gr: Graph, r: Region, stops: set) -> None:
    """The region's inputs, back through views (and the rolls and window reshapes of windowed
    attention); views only it reads and constant computations for it join the region."""
    input_views = []
    r.x = _back_through_views(gr, r.q.source, input_views, r, stops)
    r.memory = _back_through_views(gr, r.k.source, input_views, r, stops)
    if _back_through_views(gr, r.v.source, input_views, r, stops)[-1] != r.memory[-1]:
        raise NoMatch
    names = set(r.nodes)
    nodes = [n for n in gr.g.nodes if id(n) in names]
    # views on the input side and constant computations belong to the region when only it reads them
    candidates = input_views + [gr.producer[i] for n in nodes for i in n.input
                                if i and i not in gr.dynamic and i in gr.producer]
    changed = True
    while changed:
        changed = False
        for c in list(candidates):
            if id(c) in names:
                continue
            if all(id(reader) in names for out in c.output if out for reader in gr.readers.get(out, []))\
                    and not any(out in gr.g.outputs for out in c.output):
                names.add(id(c))
                changed = True
                candidates += [gr.producer[i] for i in c.input if i and i not in gr.dynamic and i in gr.producer]
    r.nodes = names


def _projection_at(gr: Graph, node, t: str) -> Projection | None:
    """The projection that `node` starts (reading activation t), with its bias Add; None if it is none."""
    if node.op_type not in PRODUCTS or node.input[0] != t or not gr.is_param(node.input[1]):
        return None
    dims = gr.g.weights.get(node.input[1])
    if dims is None or len(dims) != 2:
        return None
    nodes, out, bias = [node], node.output[0], None
    if node.op_type == "Gemm":  # the tokens as a batch of vectors (nn.MultiheadAttention's out_proj)
        a = {x.name: x for x in node.attribute}
        if "transA" in a and a["transA"].i:
            return None
        width = dims[0] if "transB" in a and a["transB"].i else dims[1]
        bias = node.input[2] if len(node.input) > 2 and node.input[2] and gr.is_param(node.input[2]) else None
        return Projection(nodes, node.input[1], width, bias, t, out)
    readers = gr.readers.get(out, [])
    if len(readers) == 1 and readers[0].op_type == "Add" and out not in gr.g.outputs:
        add = readers[0]
        other = add.input[1] if add.input[0] == out else add.input[0]
        bdims = gr.g.weights.get(other) or gr.g.shapes.get(other)
        if gr.is_param(other) and bdims is not None and math.prod(bdims) == dims[1]:
            nodes.append(add)
            out, bias = add.output[0], other
    return Projection(nodes, node.input[1], dims[1], bias, t, out)


def _back_to_projection(gr: Graph, start: str, r: Region):
    """The one projection a query/key/value tensor comes from, and the head-splitting nodes between."""
    found, branch, seen, todo = {}, [], set(), [start]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        p = gr.producer.get(t)
        if p is None:
            raise NoMatch
        proj = None
        if p.op_type == "Add" or p.op_type in PRODUCTS:
            first = p if p.op_type in PRODUCTS else gr.producer.get(next((i for i in p.input if i in gr.dynamic), ""))
            if first is not None and first.op_type in PRODUCTS and first.input[1] not in gr.dynamic:
                proj = _projection_at(gr, first, first.input[0])
        if proj is not None and proj.out == t:
            found[proj.nodes[0].name] = proj
            continue
        if p.op_type not in HEAD_OPS:
            raise NoMatch
        branch.append(p)
        live = [i for i in p.input if i in gr.dynamic]
        if not live:
            raise NoMatch
        if p.op_type == "Concat" and len(live) < len([i for i in p.input if i]):
            r.cache += [(p, i) for i in p.input if i and i not in gr.dynamic]
        todo += live
    if len(found) != 1:
        raise NoMatch
    return next(iter(found.values())), branch


def _back_through_views(gr: Graph, t: str, views: list, r: Region, stops: set) -> list:
    """The tensors `t` is a view of, nearest first: back through views, window reshapes and rolls
    (Slices + Concat), up to another attention's output."""
    chain = [t]
    while True:
        p = gr.producer.get(t)
        if p is None or t in stops:
            return chain
        if p.op_type in VIEWS:
            if p.op_type == "Reshape" and len(gr.g.shapes.get(p.output[0], ())) == 6 and r.window_shape is None:
                r.window_shape = gr.g.shapes[p.output[0]]
            views.append(p)
            t = p.input[0]
            chain.append(t)
            continue
        if p.op_type == "Concat":
            pieces = [gr.producer.get(i) for i in p.input]
            if len(pieces) == 2 and all(s is not None and s.op_type == "Slice" for s in pieces) \
                    and pieces[0].input[0] == pieces[1].input[0]:
                axis = p.attribute[0].i if p.attribute else 0
                second = gr.g.shapes.get(p.input[1])
                rank = len(second) if second else 0
                r.rolls.append((axis % rank if rank else axis, second[axis] if second else 0))
                views += [p, *pieces]
                t = pieces[0].input[0]
                chain.append(t)
                continue
        return chain


def _views_after(gr: Graph, t: str, dim: int) -> list:
    """The single-reader chain of views (and rolls) after the output projection: [(node, output)], up
    to the output laid out channels first (N, dim, L) or (N, dim, H, W), as a PyTorch module returns
    it (the views after that are the next layer's)."""
    chain = []
    shape = gr.g.shapes.get(t)
    positions = math.prod(shape) // dim if shape else 0
    while True:
        shape = gr.g.shapes.get(t)
        before = gr.g.shapes.get(chain[-2][1]) if len(chain) > 1 and chain[-2][1] else None
        readers = gr.readers.get(t, [])
        windows = (before is not None and len(before) == 6) or (len(readers) == 2 and all(
            n.op_type == "Slice" for n in readers))  # (N, H, W, C) out of windows, or rolled: channels last
        if chain and shape and len(shape) in (3, 4) and shape[:2] == (1, dim) and math.prod(shape[2:]) == positions \
                and not windows:
            image = gr.g.shapes.get(readers[0].output[0]) if len(readers) == 1 else None
            if not (len(shape) == 3 and image and readers[0].op_type == "Reshape" and len(image) == 4
                    and image[:2] == (1, dim)):
                return chain  # (N, dim, L) unflattened into (N, dim, H, W) right after is an image's
        readers = gr.readers.get(t, [])
        if t in gr.g.outputs or not readers:
            return chain
        if len(readers) == 1 and readers[0].op_type in VIEWS:
            chain.append((readers[0], readers[0].output[0]))
            t = readers[0].output[0]
            continue
        if len(readers) == 2 and all(n.op_type == "Slice" for n in readers):
            after = [gr.readers.get(n.output[0], []) for n in readers]
            if all(len(a) == 1 for a in after) and after[0][0] is after[1][0] and after[0][0].op_type == "Concat":
                concat = after[0][0]
                chain += [(readers[0], None), (readers[1], None), (concat, concat.output[0])]
                t = concat.output[0]
                continue
        return chain


# --------------------------------------------------------------------------------------------
# the layer

def attributes(m, r: Region, x, memory) -> dict:
    """The attention layer's attributes read off the region (raises Unsupported where it cannot)."""
    from .mapping import Unsupported

    g = m.g
    q_shape, k_shape, s_shape = g.shapes.get(r.q_at_scores), g.shapes.get(r.k_at_scores), g.shapes.get(r.scores)
    if not q_shape or not k_shape or not s_shape:
        raise Unsupported("ONNX shape inference gives the attention scores no static shape")
    d = q_shape[-1]
    qw, kw, vw = _widths(r)
    if d == 0 or qw % d or kw % d or kw != vw:
        raise Unsupported(f"its projections ({qw}, {kw}, {vw}) do not split into heads of {d}")
    h, kv = qw // d, kw // d
    channels = x.shape[-1]
    attrs = {"heads": h}
    if channels % h or channels // h != d:
        attrs["head_dim"] = d
    if kv != h:
        attrs["kv_heads"] = kv
    if r.o.width != channels:
        attrs["dim"] = r.o.width
    windows = math.prod(s_shape[:-3]) if len(s_shape) >= 3 else 1
    per_query = s_shape[-1]
    window = None
    if windows > 1:
        if len(x.shape) != 3 or memory is not x:
            raise Unsupported("attention in several windows of something else than an image")
        if r.window_shape is not None:
            window = (r.window_shape[2], r.window_shape[4])
        else:
            side = math.isqrt(per_query)
            window = (side, side)
        if window[0] * window[1] != per_query or windows != (x.shape[0] // window[0]) * (x.shape[1] // window[1]):
            raise Unsupported(f"attention over {windows} windows of {per_query} positions that do not tile the "
                              f"{x.shape[0]}x{x.shape[1]} image")
        attrs["window"] = list(window) if window[0] != window[1] else window[0]
    new_keys = math.prod(memory.shape[:-1])
    context = 0 if window else per_query - new_keys
    if context < 0:
        raise Unsupported(f"each query sees {per_query} keys, fewer than the {new_keys} positions")
    masks = _masks(m, r)
    if masks["causal"] is not None:
        if not np.array_equal(masks["causal"], np.triu(np.ones(masks["causal"].shape, bool), context + 1)):
            raise Unsupported("a mask on the scores that is not causal (netspec's attention masks nothing else)")
        attrs["causal"] = True
    if any(n.op_type == "Neg" for n in r.head_nodes):
        attrs["rope"] = True
    if r.q.bias is None:
        attrs["qkv_bias"] = False
    if r.o.bias is None:
        attrs["out_bias"] = False
    shift = [0, 0]
    for axis, amount in r.rolls:
        shift[0 if axis <= 1 else 1] = amount
    if any(shift):
        if not window:
            raise Unsupported("a roll of the positions around attention without windows")
        attrs["shift"] = shift if shift[0] != shift[1] else shift[0]
    elif masks["other"] and window:
        raise Unsupported("a mask on windowed scores without a shift")
    if masks["table"]:
        if not window:
            raise Unsupported("a learned table added to the scores of attention without windows")
        attrs["relative_position_bias"] = True
    if context:
        attrs["context"] = context
    if (r.k.bias is None) != (r.q.bias is None) or (r.v.bias is None) != (r.q.bias is None):
        raise Unsupported("biases on some of the query, key and value projections only")
    return attrs


def _widths(r: Region) -> tuple:
    """Query, key and value widths; a projection shared by several of them (packed, as
    nn.MultiheadAttention's in_proj) is split evenly between them."""
    firsts = [p.nodes[0].name for p in (r.q, r.k, r.v)]
    return tuple(p.width // firsts.count(p.nodes[0].name) for p in (r.q, r.k, r.v))


def _masks(m, r: Region) -> dict:
    """What is added to the scores: a causal mask (as a boolean array of hidden positions), a learned
    table (relative-position bias) or another constant."""
    from .mapping import Unsupported

    g = m.g
    out = {"causal": None, "table": [], "other": []}
    for node, name in r.statics:
        if g.sources(name):
            if node.op_type != "Add":
                raise Unsupported(f"a learned weight applied to the scores by {node.op_type}")
            out["table"].append(name)
            continue
        value = g.consts.get(name)
        if node.op_type == "Where" and name == node.input[0] and value is not None:
            hidden = np.asarray(value, bool)
        elif node.op_type == "Add" and value is not None and value.size > 1 and np.isneginf(value).any():
            hidden = np.isneginf(value)
        else:
            if node.op_type in ("Add", "Sub") and (value is None or value.size > 1):
                out["other"].append(name)
            continue
        hidden = hidden.reshape(hidden.shape[-2:]) if hidden.ndim >= 2 and math.prod(hidden.shape[:-2]) == 1 else None
        if hidden is None:
            raise Unsupported("a mask on the scores that is not causal (netspec's attention masks nothing else)")
        out["causal"] = hidden
    return out


def weights_read(m, r: Region) -> int:
    """Learned parameters the region reads (the KV cache, state rather than weights, left out)."""
    g = m.g
    cache = {name for _, name in r.cache}
    names: set = set()
    for node in m.g.nodes:
        if id(node) in r.nodes:
            for i in node.input:
                if i and i not in m.dynamic and i not in cache:
                    names |= g.sources(i)
    return sum(math.prod(g.weights.get(n) or g.shapes.get(n) or ()) for n in names)


def emit(m, r: Region) -> None:
    """Write the attention layer at the region's anchor; its output view is the last valid layout of
    the tail (the tail nodes after it are mapped one by one again)."""
    from ..ops import REGISTRY
    from .mapping import Unsupported, Val

    x = next((m.vals[t] for t in r.x if t in m.vals), None)
    memory = next((m.vals[t] for t in r.memory if t in m.vals), None)
    if x is None or memory is None:
        raise Unsupported("the attention reads something netspec does not follow")
    x, memory = m.no_pad(x), m.no_pad(memory)
    if memory.ref == x.ref:
        memory = x
    attrs = attributes(m, r, x, memory)
    op = REGISTRY["attention"]
    full = {a.name: a.default for a in op.attrs}
    full.update(attrs)
    if isinstance(full["window"], int):
        full["window"] = (full["window"], full["window"])
    if isinstance(full["shift"], int):
        full["shift"] = (full["shift"], full["shift"])
    ins = [x.shape] if memory is x else [x.shape, memory.shape]
    out_shape = (*x.shape[:-1], r.o.width)
    expected = sum(c.params for _, c in op.cost(full, ins, out_shape))
    held = weights_read(m, r)
    if held != expected:
        raise Unsupported(f"its weights hold {held:,} parameters, netspec's attention with these settings "
                          f"{attrs} holds {expected:,}")
    layer = m.add(r.softmax, "attention", attrs, [x.ref] if memory is x else [x.ref, memory.ref], out_shape)
    layer.nodes = [n.name for n in m.g.nodes if id(n) in r.nodes]
    candidates = [(r.o.nodes[-1], r.o.out)] + r.tail
    last = None
    for i, (node, t) in enumerate(candidates):
        axes = _layout(m.g.shapes.get(t) if t else None, out_shape)
        if axes is not None:  # every view of the output netspec can lay out
            m.vals[t] = Val(layer.name, out_shape, axes, t)
            last = i
    if last is None:
        raise Unsupported(f"the attention output is never laid out as {out_shape} after its projection")
    for node, _ in candidates[last + 1:]:  # views past the last layout: mapped one by one
        m.skip[id(node)] -= 1


def _layout(onnx_shape, shape) -> tuple | None:
    """The axes of an ONNX value holding the netspec `shape` channels first or last, if it does."""
    if not onnx_shape or onnx_shape[0] != 1:
        return None
    dims = tuple(onnx_shape[1:])
    first = (shape[-1], *shape[:-1])
    if dims == first:
        return (len(shape) - 1, *range(len(shape) - 1))
    if dims == tuple(shape):
        return tuple(range(len(shape)))
    return None
