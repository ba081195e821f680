"""Stage 5, cost: every layer's rows (its op, then fused batchnorm/activation), totals and peak memory.

Ops give per-sample costs; here they are scaled by `batch` (activations and compute, never
weights) and turned into the integer metrics of the JSON contract. A layer's figures are the sum
of its rows and the totals the sum of the layers, so every table adds up by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .graph import INPUT, Graph
from .ops import REGISTRY, Cost, numel

METRICS = ("params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes")


@dataclass(slots=True)
class CostRow:
    """Batch-scaled costs of one row; memory_accesses = input_reads + weight_reads + output_writes."""

    label: str = ""
    params: int = 0
    maccs: int = 0
    flops: int = 0
    input_reads: int = 0
    weight_reads: int = 0
    output_writes: int = 0
    memory_accesses: int = 0
    compulsory_bytes: int = 0
    weight_bytes: int = 0

    def add(self, other: "CostRow") -> None:
        for f in _SUMMED:
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in _SUMMED}


_SUMMED = tuple(f.name for f in fields(CostRow) if f.name != "label")


@dataclass(slots=True)
class Totals(CostRow):
    peak_activation_memory: int = 0
    peak_layer: str | None = None

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.compulsory_bytes if self.compulsory_bytes else 0.0


def scale(label: str, c: Cost, batch: int, nbytes: int) -> CostRow:
    reads, writes = c.input_reads * batch, c.output_writes * batch
    return CostRow(label=label, params=c.params, maccs=c.maccs * batch, flops=c.flops * batch,
                   input_reads=reads, weight_reads=c.params, output_writes=writes,
                   memory_accesses=reads + c.params + writes,
                   compulsory_bytes=(c.act_io * batch + c.params) * nbytes, weight_bytes=c.params * nbytes)


def layer_rows(graph: Graph, layer) -> list[CostRow]:
    op = REGISTRY[layer.type]
    shapes = [graph.shape_of(r) for r in layer.inputs]
    parts = list(op.cost(layer.attrs, shapes, layer.output))
    for fused in layer.fused:
        parts.append((fused, REGISTRY[fused].fused_cost(layer.output)))
    layer.parts = parts
    return [scale(label, c, graph.batch, graph.dtype_bytes) for label, c in parts]


def annotate_costs(graph: Graph) -> Totals:
    """Fill `layer.rows` and `layer.cost` for every layer and return the network totals."""
    totals = Totals(label="total")
    for layer in graph.layers:
        rows = layer_rows(graph, layer)
        layer_total = CostRow(label=layer.name)
        for row in rows:
            layer_total.add(row)
        layer.rows = rows
        layer.cost = layer_total
        totals.add(layer_total)
    totals.peak_activation_memory, totals.peak_layer = peak_memory(graph)
    return totals


def peak_memory(graph: Graph) -> tuple[int, str | None]:
    """Walk the layers in order keeping each tensor alive until its last reader; the largest sum.

    Views (flatten, dropout, identity) allocate nothing: they extend the life of their input's
    buffer. The network input lives until its last reader, the network output to the end. The
    sum at a layer counts its inputs and its output together (no in-place reuse).
    """
    layers = graph.layers
    if not layers:
        return 0, None
    per = graph.batch * graph.dtype_bytes
    n = len(layers)
    buffer_of = [0] * n  # buffer id: the index of the layer that allocated it; INPUT for the input
    start = {INPUT: -1}
    size = {INPUT: numel(graph.input) * per}
    end = {INPUT: -1}
    for j, layer in enumerate(layers):
        for r in layer.inputs:
            b = INPUT if r == INPUT else buffer_of[r]
            end[b] = max(end[b], j)
        if REGISTRY[layer.type].is_view:
            buffer_of[j] = INPUT if layer.inputs[0] == INPUT else buffer_of[layer.inputs[0]]
        else:
            buffer_of[j] = j
            start[j], end[j], size[j] = j, j, numel(layer.output) * per
    out = graph.output_ref
    end[INPUT if out == INPUT else buffer_of[out]] = n - 1
    delta = [0] * (n + 1)
    for b, s in start.items():
        delta[max(s, 0)] += size[b]
        delta[end[b] + 1] -= size[b]
    live, peak, at = 0, -1, 0
    for j in range(n):
        live += delta[j]
        if live > peak:
            peak, at = live, j
    return peak, layers[at].name
