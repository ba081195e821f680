"""CSV: one line per table row (layers, their fused/separable parts, and a total per file), exact integers."""

from __future__ import annotations

import csv
import io

from ..ops import fmt_shape
from .escape import csv_cell

FIELDS = ("file", "index", "layer", "row", "type", "output", "params", "maccs", "flops", "input_reads",
          "weight_reads", "output_writes", "memory_accesses", "compulsory_bytes", "weight_bytes")
METRICS = FIELDS[6:]


LATENCY_FIELDS = ("latency_s", "bound")  # with --device: a layer's estimate on its own row, in seconds


def render(report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    timed = any(getattr(r, "latency", None) is not None for r in report.results)
    w.writerow(FIELDS + (LATENCY_FIELDS if timed else ()))
    for result in report.results:
        if result.totals is None:
            continue
        g, est = result.graph, result.latency
        path = csv_cell(result.path)
        for i, layer in enumerate(g.layers):
            name, type_ = csv_cell(layer.name), csv_cell(layer.type)
            for k, row in enumerate(layer.rows):
                extra = () if not timed else ("", "") if est is None or k else (repr(est.layers[i].time),
                                                                                est.layers[i].bound)
                w.writerow((path, i, name, csv_cell(row.label), type_, fmt_shape(layer.output),
                            *(getattr(row, m) for m in METRICS), *extra))
        extra = () if not timed else ("", "") if est is None else (repr(est.latency), "")
        w.writerow((path, "", "total", "total", "", "", *(getattr(result.totals, m) for m in METRICS), *extra))
    return buf.getvalue()
