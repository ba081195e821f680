"""Batch-scaled cost rows: the one place the scaling rule is written.

Ops give per-sample `Cost`s; a row scales activations and compute by `batch` (weights never) and
turns them into the integer metrics of the JSON contract. The cost stage builds a layer's row and
the totals with it, and `graph.Layer.rows` the per-part rows a report asks for; it sits below
both, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .ops.base import Cost

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
    kv_cache_bytes: int = 0  # attention's cache of earlier keys and values (`context`), bytes of dtype

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in SUMMED}


SUMMED = tuple(f.name for f in fields(CostRow) if f.name != "label")


@dataclass(slots=True)
class Totals(CostRow):
    peak_activation_memory: int = 0
    peak_layer: str | None = None

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.compulsory_bytes if self.compulsory_bytes else 0.0


def row(cls, label: str, params: int, maccs: int, flops: int, reads: int, writes: int, act_io: int,
        batch: int, nbytes: int, wreads: int | None = None, wtraffic: int | None = None, kv: int = 0):
    """Per-sample sums -> a batch-scaled row (activations and compute scale, weights do not). The
    one place the rule is written, for a part, a layer and the totals. Fields in CostRow's order,
    passed positionally: ten keywords were half the cost of a row.

    Weights are read once each (`params`) unless `weight_terms` says otherwise: `wreads` are the
    weight elements read (sliding-window model), `wtraffic` those in the compulsory traffic; `kv`
    is the per-sample KV cache in elements."""
    reads, writes = reads * batch, writes * batch
    if wreads is None:
        wreads = wtraffic = params
    return cls(label, params, maccs * batch, flops * batch, reads, wreads, writes, reads + wreads + writes,
               (act_io * batch + wtraffic) * nbytes, params * nbytes, kv * batch * nbytes)


def weight_terms(c: Cost, batch: int) -> tuple[int, int]:
    """(weight elements read, weight elements in the compulsory traffic) of a part: its params,
    except an embedding (it reads the rows it gathers, batch x per sample, at most the whole
    table once in the compulsory count) and a tied dense (it reads the other layer's weight too)."""
    if c.gathered:
        rows = c.gathered * batch
        return rows, min(rows, c.params)
    return c.params + c.tied, c.params + c.tied


def scale(label: str, c: Cost, batch: int, nbytes: int) -> CostRow:
    """Per-sample op cost -> batch-scaled row."""
    wreads, wtraffic = weight_terms(c, batch)
    return row(CostRow, label, c.params, c.maccs, c.flops, c.input_reads, c.output_writes, c.act_io, batch, nbytes,
               wreads, wtraffic, c.kv_cache)
