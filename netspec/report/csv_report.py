"""CSV: one line per table row (layers, their fused/separable parts, and a total per file), exact integers."""

from __future__ import annotations

import csv
import io

from ..ops import fmt_shape

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
        for i, layer in enumerate(g.layers):
            for k, row in enumerate(layer.rows):
                extra = () if not timed else ("", "") if est is None or k else (repr(est.layers[i].time),
                                                                                est.layers[i].bound)
                w.writerow((result.path, i, layer.name, row.label, layer.type, fmt_shape(layer.output),
                            *(getattr(row, m) for m in METRICS), *extra))
        extra = () if not timed else ("", "") if est is None else (repr(est.latency), "")
        w.writerow((result.path, "", "total", "total", "", "", *(getattr(result.totals, m) for m in METRICS), *extra))
    return buf.getvalue()
