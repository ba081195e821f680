"""Stage 5, cost: every layer's rows (its op, then fused batchnorm/activation), totals and peak memory.

Ops give per-sample costs; here they are scaled by `batch` (activations and compute, never
weights) and turned into the integer metrics of the JSON contract. A layer's figures are the sum
of its rows and the totals the sum of the layers, so every table adds up by construction.
"""

from __future__ import annotations

from .graph import INPUT, Graph
from .ops import REGISTRY, numel
from .rows import METRICS, SUMMED, CostRow, Totals, row, scale, weight_terms

__all__ = ["METRICS", "CostRow", "Totals", "annotate_costs", "buffer_lives", "live_changes", "overflow_diagnostics",
           "part_sums", "peak_memory", "scale"]


def annotate_costs(graph: Graph) -> Totals:
    """Fill `layer.op_parts` and `layer.cost` for every layer and return the network totals.

    Scaling by batch is linear, so a layer's row is the per-sample sum of its parts (the op's,
    then the fused batchnorm/activation's) scaled once; the per-part rows (`layer.rows`) are
    built only when a report reads them. Sums are kept in locals: this loop runs once per layer
    of networks of 100,000 layers.
    """
    batch, nbytes = graph.batch, graph.dtype_bytes
    scaling = (batch, nbytes)
    layers, inp = graph.layers, graph.input
    params = maccs = flops = reads = writes = act_io = wreads = wtraffic = kv = 0
    scratch = graph.scratch = []
    for j, layer in enumerate(layers):
        out = layer.output
        shapes = [inp if r == INPUT else layers[r].output for r in layer.inputs]
        op = REGISTRY[layer.type]
        op_parts = layer.op_parts = op.cost(layer.attrs, shapes, out)
        p, m, f, i, o, a = part_sums(op_parts, layer.fused, out)
        if op.special_costs:  # an embedding's rows, a tied weight, a KV cache, attention's intermediates
            wr, wt, k, s = special_sums(op_parts, batch)
            wr += p
            wt += p
            if s:
                scratch.append((j, s))
        else:
            wr = wt = p
            k = 0
        layer.scaling = scaling
        layer.cost = row(CostRow, layer.name, p, m, f, i, o, a, batch, nbytes, wr, wt, k)
        params += p
        maccs += m
        flops += f
        reads += i
        writes += o
        act_io += a
        wreads += wr
        wtraffic += wt
        kv += k
    totals = row(Totals, "total", params, maccs, flops, reads, writes, act_io, batch, nbytes, wreads, wtraffic, kv)
    totals.peak_activation_memory, totals.peak_layer = peak_memory(graph)
    return totals


def special_sums(op_parts: list, batch: int) -> tuple[int, int, int, int]:
    """What an op's parts add to the plain rule (weights read once each, no cache, no scratch):
    (weight reads, weight traffic, KV cache, scratch) beyond its params (see rows.weight_terms),
    the last two per sample."""
    wr = wt = k = s = 0
    for _, c in op_parts:
        r, t = weight_terms(c, batch)
        wr += r - c.params
        wt += t - c.params
        k += c.kv_cache
        s += c.scratch
    return wr, wt, k, s


def part_sums(op_parts: list, fused: tuple, out) -> tuple[int, int, int, int, int, int]:
    """A layer's per-sample (params, maccs, flops, input_reads, output_writes, act_io): its op's
    parts, then each fused batchnorm/activation's (`Layer.parts`, summed)."""
    if len(op_parts) == 1 and not fused:  # a plain op: its one part is the layer
        c = op_parts[0][1]
        return c.params, c.maccs, c.flops, c.input_reads, c.output_writes, c.act_io
    p = m = f = i = o = a = 0
    for c in [c for _, c in op_parts] + [REGISTRY[x].fused_cost(out) for x in fused]:
        p += c.params
        m += c.maccs
        f += c.flops
        i += c.input_reads
        o += c.output_writes
        a += c.act_io
    return p, m, f, i, o, a


def peak_memory(graph: Graph) -> tuple[int, str | None]:
    """Walk the layers in order keeping each tensor alive until its last reader; the largest sum.

    Views (flatten, dropout, identity) allocate nothing: they extend the life of their input's
    buffer. The network input lives until its last reader, the network output to the end. The
    sum at a layer counts its inputs and its output together (no in-place reuse), and the
    intermediates it keeps while it runs (`Cost.scratch`: attention's Q, K, V, scores, context).
    """
    layers = graph.layers
    if not layers:  # every layer dropped (`when: false`): the input is the output, held throughout
        return numel(graph.input) * graph.batch * graph.dtype_bytes, "input"
    live, peak, at = 0, -1, 0
    for j, d in enumerate(_live_changes(graph)[:-1]):
        live += d
        if live > peak:
            peak, at = live, j
    return peak, layers[at].name


def live_memory(graph: Graph) -> list[int]:
    """The bytes alive while each layer runs (the curve whose maximum is `peak_memory`)."""
    out, live = [], 0
    for d in _live_changes(graph)[:-1]:
        live += d
        out.append(live)
    return out


def buffer_lives(graph: Graph) -> list[tuple[int, int]]:
    """Every buffer as (owner, last): `owner` the layer that allocates it (n, the layer count, for
    the network input, alive from the start), `last` the last layer it is alive at (-1: never read).
    Shapes do not enter: views share their input's buffer, whatever the sizes."""
    layers = graph.layers
    n = len(layers)
    buffer_of = [0] * n
    end = [-1] * (n + 1)  # the last layer reading each buffer; -1: allocated but never read
    allocated = []
    for j, layer in enumerate(layers):
        for r in layer.inputs:
            end[n if r == INPUT else buffer_of[r]] = j  # layers are in order: j only grows
        if REGISTRY[layer.type].is_view:
            r = layer.inputs[0]
            buffer_of[j] = n if r == INPUT else buffer_of[r]
        else:
            buffer_of[j] = j
            end[j] = j
            allocated.append(j)
    out = graph.output_ref
    if n:
        end[n if out == INPUT else buffer_of[out]] = n - 1
    return [(n, end[n]), *((b, end[b]) for b in allocated)]


def live_changes(n: int, lives: list[tuple[int, int]], sizes: list[int]) -> list[int]:
    """Bytes allocated (+) and freed (-) as each of n layers starts (n + 1 entries), from
    `buffer_lives` and each buffer's size in bytes."""
    delta = [0] * (n + 1)
    for (owner, last), size in zip(lives, sizes):
        delta[0 if owner == n else owner] += size
        delta[last + 1] -= size
    return delta


def _live_changes(graph: Graph) -> list[int]:
    """Bytes allocated (+) and freed (-) as each layer starts: n + 1 entries for n layers."""
    layers = graph.layers
    per = graph.batch * graph.dtype_bytes
    n = len(layers)
    lives = buffer_lives(graph)
    sizes = [numel(graph.input if owner == n else layers[owner].output) * per for owner, _ in lives]
    delta = live_changes(n, lives, sizes)
    for j, elements in graph.scratch:  # alive only while layer j runs
        delta[j] += elements * per
        delta[j + 1] -= elements * per
    return delta


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
    if totals.peak_activation_memory <= INT64_MAX and all(getattr(totals, f) <= INT64_MAX for f in SUMMED):
        return []  # costs are never negative: no layer and no running total exceeds the totals
    from .diagnostics import Diagnostic

    def at(layer, message: str) -> list:
        src = layer.source
        return [Diagnostic("NS215", message, src.line, src.column, path=src.path)]

    running = dict.fromkeys(SUMMED, 0)
    for layer in graph.layers:
        own = [f for f in SUMMED if getattr(layer.cost, f) > INT64_MAX]
        if own:
            return at(layer, f"layer {layer.name}: {', '.join(f'{f} {_big(getattr(layer.cost, f))}' for f in own)} "
                      "exceed 2**63 - 1")
        crossed = []
        for f in SUMMED:
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
