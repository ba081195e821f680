"""Lint warnings (NS4xx) over the costed graph: things that are legal but usually a mistake.

Each rule is a function named after its code's name, with a docstring that is its user doc; the
list is kept short and precise (no warning on dropout before a classifier, on the classifier's own
width, or on a 1×1 stride-2 shortcut, which are all deliberate).
"""

from __future__ import annotations

from .diagnostics import Diagnostic
from .graph import INPUT
from .ops.elementwise import FLOPS_PER_ELEMENT

CHANNEL_CHOOSERS = {"conv": "filters", "deconv": "filters", "separable": "filters", "dense": "units"}
# Layers that keep their input's shape and touch each element alone: a softmax or a dropout after
# the classifier does not change which layer chose the output width.
SHAPE_PRESERVING = frozenset(FLOPS_PER_ELEMENT) | {"dropout", "identity"}


def output_chain(graph) -> set[int]:
    """The network's output layer, and the layers it reads through shape-preserving element-wise
    layers only (`dense(10)` -> `softmax`: both are the output)."""
    j = graph.output_ref
    chain = {j}
    while j != INPUT and graph.layers[j].type in SHAPE_PRESERVING and len(graph.layers[j].inputs) == 1:
        j = graph.layers[j].inputs[0]
        chain.add(j)
    return chain


def ignored_here(layer) -> tuple[str, ...]:
    """The codes the layer's own entry silences: `lint: {ignore: [NS401]}` on the layer (inside a
    block, on the block's layer, so every call of it)."""
    lint = layer.node.get("lint") if isinstance(layer.node, dict) else None
    codes = lint.get("ignore") if isinstance(lint, dict) else None
    return tuple(str(c).upper() for c in codes) if isinstance(codes, list) else ()


def _at(code: str, layer, message: str, key: str | None = None) -> Diagnostic | None:
    """The warning at the layer's YAML (at `key` when given), or None when the layer ignores it."""
    node = layer.node
    if code in ignored_here(layer):
        return None
    span = None
    if node is not None and hasattr(node, "value_span"):
        span = node.value_span(key) if key and key in node else node.span
    d = Diagnostic(code, f"layer {layer.name}: {message}", path=layer.source.path + (f".{key}" if key else ""))
    return d.at(span) if span else d.at((layer.source.line, layer.source.column, None, None))


def channels_not_multiple_of_8(graph, totals):
    """NS401: a layer that chooses its output width (filters, units) picks one not divisible by 8.

    Vector units and tensor cores work in multiples of 8; the network's own output layer is exempt
    (its width is the number of classes), also when only shape-preserving element-wise layers
    (softmax, sigmoid, dropout, identity, ...) follow it.
    """
    out = []
    exempt = output_chain(graph)
    for j, layer in enumerate(graph.layers):
        key = CHANNEL_CHOOSERS.get(layer.type)
        if key and j not in exempt and layer.output[-1] % 8:
            n = layer.output[-1]
            what = "1 output channel is" if n == 1 else f"{n} output channels are"
            out.append(_at("NS401", layer, f"{what} not a multiple of 8", key))
    return out


def dense_dominates_params(graph, totals):
    """NS402: one dense layer holds more than half of all parameters (VGG's first FC layer is the classic)."""
    out = []
    for layer in graph.layers:
        if layer.type == "dense" and totals.params and layer.cost.params * 2 > totals.params:
            share = 100 * layer.cost.params / totals.params
            out.append(_at("NS402", layer, f"holds {share:.0f}% of all parameters "
                                           f"({layer.cost.params:,} of {totals.params:,})", "units"))
    return out


def stride_exceeds_kernel(graph, totals):
    """NS403: a window op whose stride is larger than its kernel never reads some input pixels.

    1×1 convolutions with a stride are the standard subsampling shortcut and are not flagged.
    """
    out = []
    for layer in graph.layers:
        a = layer.attrs
        if "kernel" not in a or layer.type == "deconv":
            continue
        stride = a.get("stride") or a["kernel"]
        if a["kernel"] == (1, 1) and layer.type != "maxpool" and layer.type != "avgpool":
            continue
        if any(s > k for s, k in zip(stride, a["kernel"])):
            out.append(_at("NS403", layer, f"stride {stride[0]}x{stride[1]} is larger than the kernel "
                                           f"{a['kernel'][0]}x{a['kernel'][1]}: some input pixels are never read",
                           "stride"))
    return out


def unused_output(graph, totals):
    """NS404: a layer's output is read by no later layer and is not the network's output (a dead branch)."""
    used = {graph.output_ref}
    for layer in graph.layers:
        used.update(r for r in layer.inputs if r != INPUT)
    return [_at("NS404", layer, "its output is never used (a dead branch?)")
            for j, layer in enumerate(graph.layers) if j not in used]


def add_of_itself(graph, totals):
    """NS405: an `add` reads the same tensor twice (`inputs: [x, x]`): it doubles x, which is rarely
    what a residual connection means; usually another layer (the block input, a skip) was meant."""
    out = []
    for layer in graph.layers:
        if layer.type == "add" and len(set(layer.inputs)) < len(layer.inputs):
            twice = next(r for r in layer.inputs if layer.inputs.count(r) > 1)
            out.append(_at("NS405", layer, f"adds `{graph.name_of(twice)}` to itself (it is in `inputs` more "
                                           "than once): was another input meant?", "inputs"))
    return out


RULES = (channels_not_multiple_of_8, dense_dominates_params, stride_exceeds_kernel, unused_output, add_of_itself)


def lint(graph, totals) -> list[Diagnostic]:
    out = []
    for rule in RULES:
        out += (d for d in rule(graph, totals) if d is not None)
    return out
