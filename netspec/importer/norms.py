"""Norms written out in several ops, folded into one layer: `rmsnorm`, `groupnorm`.

Exporters without an RMSNormalization op (ONNX before opset 23, PyTorch's TorchScript exporter, a
model that writes the formula itself) leave `x * rsqrt(mean(x², last axis) + eps) * γ` as Pow (or
Mul x·x), ReduceMean, Add, Sqrt, Reciprocal or Div, and Muls in any order. `find_rmsnorms` finds
it before the mapping runs; the mapping skips its nodes and writes the layer at the last Mul.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .attention import MALFORMED, Graph, NoMatch


@dataclass
class RmsNorm:
    x: str  # the normalised activation
    weight: str  # γ
    out: str
    anchor: int  # by id: node names may be empty
    first: object  # the node that names the layer
    nodes: set = field(default_factory=set)  # by id


def find_rmsnorms(g, dynamic: set) -> list[RmsNorm]:
    return _find(g, dynamic, "ReduceMean", _match)


def _find(g, dynamic: set, op_type: str, match) -> list:
    """Every match of a pattern that starts at a node of `op_type` reading an activation."""
    gr = Graph(g, dynamic)
    found = []
    for node in g.nodes:
        if node.op_type == op_type and node.input and node.input[0] in dynamic:
            try:
                found.append(match(gr, node))
            except (NoMatch, *MALFORMED):
                continue
    return found


def _const(gr: Graph, name: str):
    value = gr.g.consts.get(name)
    if value is None or name in gr.dynamic or gr.g.sources(name):
        raise NoMatch
    return np.asarray(value)


def _match(gr: Graph, reduce) -> RmsNorm:
    square = gr.producer.get(reduce.input[0])
    if square is None or gr.only_reader(reduce.input[0]) is not reduce:
        raise NoMatch
    if square.op_type == "Pow" and square.input[0] in gr.dynamic and float(_const(gr, square.input[1])) == 2.0:
        x = square.input[0]
    elif square.op_type == "Mul" and square.input[0] == square.input[1]:
        x = square.input[0]
    else:
        raise NoMatch
    rank = len(gr.g.shapes.get(x, ()))
    attrs = {a.name: a for a in reduce.attribute}
    axes = list(attrs["axes"].ints) if "axes" in attrs else (
        [int(v) for v in _const(gr, reduce.input[1]).reshape(-1)] if len(reduce.input) > 1 else None)
    if rank < 2 or axes is None or [a % rank for a in axes] != [rank - 1] or \
            ("keepdims" in attrs and attrs["keepdims"].i == 0):
        raise NoMatch
    nodes = [square, reduce]
    add = gr.only_reader(reduce.output[0])
    if add.op_type != "Add" or _const(gr, add.input[1] if add.input[0] == reduce.output[0] else add.input[0]).size != 1:
        raise NoMatch
    sqrt = gr.only_reader(add.output[0])
    if sqrt.op_type != "Sqrt":
        raise NoMatch
    nodes += [add, sqrt]
    nxt = gr.only_reader(sqrt.output[0])
    have = {"x": False, "w": None}
    if nxt.op_type == "Reciprocal" or (nxt.op_type == "Div" and nxt.input[1] == sqrt.output[0]
                                        and nxt.input[0] not in gr.dynamic and not gr.g.sources(nxt.input[0])):
        if nxt.op_type == "Div" and float(_const(gr, nxt.input[0])) != 1.0:
            raise NoMatch
    elif nxt.op_type == "Div" and nxt.input[1] == sqrt.output[0]:
        _factor(gr, nxt.input[0], x, have, nodes)
    else:
        raise NoMatch
    nodes.append(nxt)
    t = nxt.output[0]
    while not (have["x"] and have["w"]):
        mul = gr.only_reader(t)
        if mul.op_type != "Mul":
            raise NoMatch
        _factor(gr, mul.input[1] if mul.input[0] == t else mul.input[0], x, have, nodes)
        nodes.append(mul)
        t = mul.output[0]
    c = gr.g.shapes.get(x)[-1]
    dims = gr.g.weights.get(have["w"]) or gr.g.shapes.get(have["w"])
    if dims is None or int(np.prod(dims)) != c or (dims and dims[-1] != c):
        raise NoMatch
    return RmsNorm(x, have["w"], t, id(nodes[-1]), reduce, {id(n) for n in nodes})


def _factor(gr: Graph, name: str, x: str, have: dict, nodes: list) -> None:
    """One operand of the product: x, γ, or x·γ computed apart."""
    if name == x and not have["x"]:
        have["x"] = True
        return
    if gr.is_param(name) and have["w"] is None:
        have["w"] = name
        return
    p = gr.producer.get(name)
    if p is not None and p.op_type == "Mul" and len(gr.readers.get(name, [])) == 1:
        for operand in p.input:
            _factor(gr, operand, x, have, nodes)
        nodes.append(p)
        return
    raise NoMatch


def emit(m, n: RmsNorm) -> None:
    from .mapping import Unsupported, Val

    x = m.vals.get(n.x)
    if x is None:
        raise Unsupported("an RMS norm of something netspec does not follow")
    x = m.no_pad(x)
    m.channel_check(x, -1, "an RMS norm")
    layer = m.add(n.first, "rmsnorm", {}, [x.ref], x.shape)
    layer.nodes = [node.name for node in m.g.nodes if id(node) in n.nodes]
    m.vals[n.out] = Val(layer.name, x.shape, x.axes, n.out)


# --------------------------------------------------------------------------------------------
# group norm: PyTorch exports nn.GroupNorm as Reshape (N, G, -1), InstanceNormalization (constant
# scale 1 and shift 0 per group), Reshape back, Mul by γ and Add of β per channel

@dataclass
class GroupNorm:
    x: str
    groups: int
    out: str
    anchor: int
    first: object
    nodes: set = field(default_factory=set)


def find_groupnorms(g, dynamic: set) -> list[GroupNorm]:
    return _find(g, dynamic, "InstanceNormalization", _group_norm)


def _group_norm(gr: Graph, norm) -> GroupNorm:
    split = gr.producer.get(norm.input[0])
    if split is None or split.op_type != "Reshape" or gr.only_reader(norm.input[0]) is not norm:
        raise NoMatch
    x = split.input[0]
    shape, grouped = gr.g.shapes.get(x), gr.g.shapes.get(norm.input[0])
    if not shape or not grouped or len(shape) < 3 or len(grouped) != 3 or grouped[0] != shape[0]:
        raise NoMatch
    groups = grouped[1]
    if any(gr.g.sources(i) for i in norm.input[1:]) or shape[1] % groups:
        raise NoMatch  # a learned scale per group is an instance norm of its own, not a group norm
    back = gr.only_reader(norm.output[0])
    if back.op_type != "Reshape" or gr.g.shapes.get(back.output[0]) != shape:
        raise NoMatch
    nodes, t = [split, norm, back], back.output[0]
    for op in ("Mul", "Add"):
        n = gr.only_reader(t)
        other = n.input[1] if n.input[0] == t else n.input[0]
        dims = gr.g.shapes.get(other)
        if n.op_type != op or not gr.is_param(other) or dims is None or int(np.prod(dims)) != shape[1]:
            raise NoMatch
        nodes.append(n)
        t = n.output[0]
    return GroupNorm(x, groups, t, id(nodes[-1]), norm, {id(n) for n in nodes})


def emit_groupnorm(m, n: GroupNorm) -> None:
    from .mapping import Unsupported, Val

    x = m.vals.get(n.x)
    if x is None:
        raise Unsupported("a group norm of something netspec does not follow")
    x = m.no_pad(x)
    m.channel_check(x, 1, "a group norm")
    layer = m.add(n.first, "groupnorm", {"groups": n.groups}, [x.ref], x.shape)
    layer.nodes = [node.name for node in m.g.nodes if id(node) in n.nodes]
    m.vals[n.out] = Val(layer.name, x.shape, x.axes, n.out)
