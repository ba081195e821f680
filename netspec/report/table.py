"""The per-layer table as rows of cells, shared by the text and markdown reporters."""

from __future__ import annotations

from ..graph import INPUT
from ..ops import fmt_shape
from . import units

COLUMNS = ("#", "layer", "type", "input", "output", "params", "MACCs", "FLOPs", "mem.acc", "%MACCs")
NUMERIC = {"#", "params", "MACCs", "FLOPs", "mem.acc", "%MACCs", "latency"}
LATENCY_COLUMNS = ("latency", "bound")  # with --device
TOP = 3


def columns(graph, latency=None, depth: int | None = None) -> tuple[str, ...]:
    """The table's columns; `latency` and `bound` with a latency estimate (--device), `connected to`
    only when some row reads other than the row before it, `note` only when some shown layer has a note."""
    extra = LATENCY_COLUMNS if latency is not None else ()
    groups = list(_groups(graph, depth))
    if any(_connected(graph, first, end) for first, end, _ in groups):
        extra += ("connected to",)
    if any(graph.layers[first].note for first, _, instance in groups if instance is None):
        extra += ("note",)
    return COLUMNS + extra


def _groups(graph, depth: int | None):
    """(first, end, instance) per table row: a block call nested `depth` deep as one range with its
    call's (line, column, path, name, block), every other layer alone with None."""
    layers = graph.layers
    i = 0
    while i < len(layers):
        calls = layers[i].source.calls
        if depth is None or len(calls) < depth:
            yield i, i + 1, None
            i += 1
            continue
        instance = calls[depth - 1]
        end = i + 1
        while end < len(layers) and layers[end].source.calls[depth - 1:depth] == (instance,):
            end += 1
        yield i, end, instance
        i = end


def top_layers(graph, n: int = TOP) -> set[int]:
    """Indices of the n layers with the most MACCs, and of every layer tied with the n-th (marked `*`)."""
    ranked = sorted((layer.cost.maccs for layer in graph.layers if layer.cost.maccs > 0), reverse=True)
    if not ranked:
        return set()
    bar = ranked[min(n, len(ranked)) - 1]
    return {i for i, layer in enumerate(graph.layers) if layer.cost.maccs >= bar}


def top_note(graph, n: int = TOP) -> str:
    """What `*` means under the table, ties included."""
    marked = top_layers(graph, n)
    if not marked:
        return ""
    ranked = min(n, len(marked))
    what = "the layer with the most MACCs" if ranked == 1 else f"the {ranked} layers with the most MACCs"
    if len(marked) > ranked:
        bar = min(graph.layers[i].cost.maccs for i in marked)
        what += f" ({len(marked)} marked: tied at {units.count(bar)})"
    return f"* = {what}"


def _connected(graph, first: int, end: int) -> str:
    """What layers first..end-1 read from before `first`, by name, unless that is simply the
    layer before (a merge, a skip, a branch)."""
    if end - first == 1:
        outside = graph.layers[first].inputs  # as written: add(x, x) reads x twice
    else:
        outside = list(dict.fromkeys(r for layer in graph.layers[first:end] for r in layer.inputs if r < first))
    if outside == [first - 1 if first else INPUT]:
        return ""
    return ", ".join(graph.name_of(r) for r in outside)


def _input_shapes(graph, layer) -> str:
    shapes = dict.fromkeys(fmt_shape(graph.shape_of(r)) for r in layer.inputs)
    return ", ".join(shapes)


def rows(graph, totals, human: bool = True, latency=None, depth: int | None = None):
    """Yield (kind, cells) for every row: 'layer' rows, 'part' sub-rows, 'block' rows, then the
    'total' row.

    A layer's own row shows its op's part; fused batchnorm/activation and the second half of a
    separable follow as sub-rows, so the rows add up to the total. With a latency estimate
    (netspec.latency.Estimate) a layer row gives its time and bound; sub-rows leave them blank (a
    layer's kernels are not its cost parts), and the total row gives the estimate and the share
    of time in memory-bound layers. With `depth`, the layers of a block call nested `depth` calls
    deep (1: a call in `layers:`) fold into one subtotal row.
    """
    fmt = units.count if human else str
    top = top_layers(graph)
    extra = columns(graph, latency, depth)[len(COLUMNS):]
    blank = ("",) * len(extra)
    for i, end, instance in _groups(graph, depth):
        if instance is not None:
            yield "block", _block_cells(graph, totals, i, end, instance, top, fmt, extra, latency)
            continue
        layer = graph.layers[i]
        for k, row in enumerate(layer.rows):
            first = k == 0
            mark = "*" if (first and i in top) else ""
            cells = (str(i) if first else "", (layer.name + mark) if first else f"  └ {row.label}",
                     layer.type if first else row.label, _input_shapes(graph, layer) if first else "",
                     fmt_shape(layer.output) if first else "",
                     fmt(row.params), fmt(row.maccs), fmt(row.flops), fmt(row.memory_accesses),
                     units.percent(row.maccs, totals.maccs) if row.maccs else "")
            if first:
                facts = {"connected to": _connected(graph, i, i + 1), "note": layer.note or ""}
                if latency is not None:
                    t = latency.layers[i]
                    facts.update(latency=units.seconds(t.time), bound=t.bound or "-")
                cells += tuple(facts[c] for c in extra)
            else:
                cells += blank
            yield ("layer" if first else "part"), cells
    total = {"latency": units.seconds(latency.latency), "bound": f"{100 * latency.memory_bound_share:.0f}% mem"} \
        if latency is not None else {}
    yield "total", ("", "total", "", "", "", fmt(totals.params), fmt(totals.maccs), fmt(totals.flops),
                    fmt(totals.memory_accesses), "100%" if totals.maccs else "") + tuple(total.get(c, "") for c in extra)


def _block_cells(graph, totals, first: int, end: int, instance, top, fmt, extra, latency) -> tuple:
    """One block call's layers first..end-1 as a subtotal row: `#` is their index range, `type`
    the block's name; `*` when it holds a marked layer."""
    group = graph.layers[first:end]
    sums = {m: sum(getattr(layer.cost, m) for layer in group) for m in ("params", "maccs", "flops", "memory_accesses")}
    mark = "*" if any(j in top for j in range(first, end)) else ""
    facts = {"connected to": _connected(graph, first, end), "note": ""}
    if latency is not None:
        times = latency.layers[first:end]
        bounds = {t.bound for t in times if t.bound}
        facts.update(latency=units.seconds(sum(t.time for t in times)),
                     bound=bounds.pop() if len(bounds) == 1 else ("mixed" if bounds else "-"))
    return ((f"{first}-{end - 1}" if end - first > 1 else str(first)), instance[3] + mark, f"{instance[4]} (block)",
            _input_shapes(graph, group[0]), fmt_shape(group[-1].output),
            fmt(sums["params"]), fmt(sums["maccs"]), fmt(sums["flops"]), fmt(sums["memory_accesses"]),
            units.percent(sums["maccs"], totals.maccs) if sums["maccs"] else "") + tuple(facts[c] for c in extra)
