"""CSV: one line per table row (layers, their fused/separable parts, and a total per file), exact integers."""

from __future__ import annotations

import csv
import io

from ..ops import fmt_shape

FIELDS = ("file", "index", "layer", "row", "type", "output", "params", "maccs", "flops", "input_reads",
          "weight_reads", "output_writes", "memory_accesses", "compulsory_bytes", "weight_bytes")
METRICS = FIELDS[6:]


def render(report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS)
    for result in report.results:
        if result.totals is None:
            continue
        g = result.graph
        for i, layer in enumerate(g.layers):
            for k, row in enumerate(layer.rows):
                w.writerow((result.path, i, layer.name, row.label, layer.type, fmt_shape(layer.output),
                            *(getattr(row, m) for m in METRICS)))
        w.writerow((result.path, "", "total", "total", "", "", *(getattr(result.totals, m) for m in METRICS)))
    return buf.getvalue()
