"""The per-layer table as rows of cells, shared by the text, markdown and CSV reporters."""

from __future__ import annotations

from ..ops import fmt_shape
from . import units

COLUMNS = ("#", "layer", "type", "output", "params", "MACCs", "FLOPs", "mem.acc", "%MACCs")


def top_layers(graph, n: int = 3) -> set[int]:
    """Indices of the n layers with the most MACCs (marked in tables)."""
    ranked = sorted(range(len(graph.layers)), key=lambda i: graph.layers[i].cost.maccs, reverse=True)
    return {i for i in ranked[:n] if graph.layers[i].cost.maccs > 0}


def rows(graph, totals, human: bool = True):
    """Yield (kind, cells) for every row: 'layer' rows, 'part' sub-rows, then the 'total' row.

    A layer's own row shows its op's part; fused batchnorm/activation and the second half of a
    separable follow as sub-rows, so the rows add up to the total.
    """
    fmt = units.count if human else str
    top = top_layers(graph)
    for i, layer in enumerate(graph.layers):
        for k, row in enumerate(layer.rows):
            mark = "*" if (k == 0 and i in top) else ""
            cells = (str(i) if k == 0 else "", (layer.name + mark) if k == 0 else f"  └ {row.label}",
                     layer.type if k == 0 else row.label, fmt_shape(layer.output) if k == 0 else "",
                     fmt(row.params), fmt(row.maccs), fmt(row.flops), fmt(row.memory_accesses),
                     units.percent(row.maccs, totals.maccs) if row.maccs else "")
            yield ("layer" if k == 0 else "part"), cells
    yield "total", ("", "total", "", "", fmt(totals.params), fmt(totals.maccs), fmt(totals.flops),
                    fmt(totals.memory_accesses), "100%" if totals.maccs else "")
