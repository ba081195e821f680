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
        """Sum `other` into this row (one line per field: it runs once per row of every layer)."""
        self.params += other.params
        self.maccs += other.maccs
        self.flops += other.flops
        self.input_reads += other.input_reads
        self.weight_reads += other.weight_reads
        self.output_writes += other.output_writes
        self.memory_accesses += other.memory_accesses
        self.compulsory_bytes += other.compulsory_bytes
        self.weight_bytes += other.weight_bytes

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
    """Per-sample op cost -> batch-scaled row. Fields in CostRow's order (label, params, maccs,
    flops, input_reads, weight_reads, output_writes, memory_accesses, compulsory_bytes,
    weight_bytes), passed positionally: ten keywords were half the cost of a row."""
    reads, writes, p = c.input_reads * batch, c.output_writes * batch, c.params
    return CostRow(label, p, c.maccs * batch, c.flops * batch, reads, p, writes, reads + p + writes,
                   (c.act_io * batch + p) * nbytes, p * nbytes)


def layer_parts(graph: Graph, layer) -> list[tuple[str, Cost]]:
    """The layer's per-sample cost parts: its op's rows, then one per fused batchnorm/activation."""
    layers, inp = graph.layers, graph.input
    shapes = [inp if r == INPUT else layers[r].output for r in layer.inputs]
    parts = REGISTRY[layer.type].cost(layer.attrs, shapes, layer.output)
    if layer.fused:
        out = layer.output
        parts = [*parts, *((f, REGISTRY[f].fused_cost(out)) for f in layer.fused)]
    return parts


def annotate_costs(graph: Graph) -> Totals:
    """Fill `layer.parts` and `layer.cost` for every layer and return the network totals.

    Scaling by batch is linear, so a layer's row is its parts' per-sample sum scaled once; the
    per-part rows (`layer.rows`) are scaled only when a report reads them. Totals are kept in
    locals: this loop runs once per layer of networks of 100,000 layers.
    """
    batch, nbytes = graph.batch, graph.dtype_bytes
    scaling = (batch, nbytes)
    params = maccs = flops = reads = writes = act_io = 0
    for layer in graph.layers:
        parts = layer_parts(graph, layer)
        if len(parts) == 1:
            c = parts[0][1]
        else:
            c = Cost()
            for _, part in parts:
                c.params += part.params
                c.maccs += part.maccs
                c.flops += part.flops
                c.input_reads += part.input_reads
                c.output_writes += part.output_writes
                c.act_io += part.act_io
        layer.parts = parts
        layer.scaling = scaling
        layer.cost = scale(layer.name, c, batch, nbytes)
        params += c.params
        maccs += c.maccs
        flops += c.flops
        reads += c.input_reads
        writes += c.output_writes
        act_io += c.act_io
    totals = Totals("total", params, maccs * batch, flops * batch, reads * batch, params, writes * batch,
                    (reads + writes) * batch + params, (act_io * batch + params) * nbytes, params * nbytes)
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


INT64_MAX = 2**63 - 1


def _big(n: int) -> str:
    try:
        return f"{n:.3e}"
    except OverflowError:
        return "more than 1e308"


def overflow_diagnostics(graph: Graph, totals: Totals) -> list:
    """NS215 when a cost does not fit a signed 64-bit integer (a huge but legal network).

    One diagnostic, at the first layer whose own figures overflow, or else at the layer where a
    running network total passes 2**63 - 1 (or the peak-memory layer); exact integers past that
    would break every 64-bit consumer of the JSON, CSV and SARIF reports.
    """
    if totals.peak_activation_memory <= INT64_MAX and all(getattr(totals, f) <= INT64_MAX for f in _SUMMED):
        return []  # costs are never negative: no layer and no running total exceeds the totals
    from .diagnostics import Diagnostic

    def at(layer, message: str) -> list:
        src = layer.source
        return [Diagnostic("NS215", message, src.line, src.column, path=src.path)]

    running = dict.fromkeys(_SUMMED, 0)
    for layer in graph.layers:
        own = [f for f in _SUMMED if getattr(layer.cost, f) > INT64_MAX]
        if own:
            return at(layer, f"layer {layer.name}: {', '.join(f'{f} {_big(getattr(layer.cost, f))}' for f in own)} "
                      "exceed 2**63 - 1")
        crossed = []
        for f in _SUMMED:
            running[f] += getattr(layer.cost, f)
            if running[f] > INT64_MAX:
                crossed.append(f)
        if crossed:
            return at(layer, f"layer {layer.name}: the network's total {', '.join(crossed)} pass 2**63 - 1 "
                      "at this layer")
    if totals.peak_activation_memory > INT64_MAX:
        layer = next((x for x in graph.layers if x.name == totals.peak_layer), None)
        message = f"peak activation memory {_big(totals.peak_activation_memory)} bytes exceeds 2**63 - 1"
        return at(layer, message) if layer is not None else [Diagnostic("NS215", message, 1, 1)]
    return []
