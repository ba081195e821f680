"""`netspec sweep -f html`: one self-contained page with a scatter plot of the points (the Pareto
front joined, the budget as lines, the best point marked; axes chosen in the page) and the table.

It is the visual report's page (`report/html.py`: inline script and styles, a CSP that refuses
every request, the data as inert JSON); the page's script draws a sweep when the data's `kind` is
"sweep".
"""

from __future__ import annotations

from ..report.html import page
from .front import METRICS
from .report import Tally, best_text, limit_dict, row_dict, summary_text

KINDS = {"params": "count", "maccs": "count", "flops": "count", "peak_memory": "bytes", "weight_bytes": "bytes",
         "latency": "seconds"}
FIELDS = {"peak_memory": "peak_activation_memory"}  # metric name -> the row dict's key, where they differ
LABELS = {"params": "params", "maccs": "MACCs", "flops": "FLOPs", "peak_memory": "peak activation memory",
          "weight_bytes": "weight bytes", "latency": "latency"}


def write_html(out, sweep, rows: list, front: set | None, best) -> Tally:
    tally = Tally(best)
    for row in rows:
        tally.add(row)
    metrics = {FIELDS.get(m, m): {"label": LABELS[m], "kind": KINDS[m]} for m in METRICS
               if m != "latency" or sweep.device is not None}
    numeric = [n for k, n in enumerate(sweep.names)
               if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sweep.axes[k].values)]
    metrics.update({n: {"label": n, "kind": "value"} for n in numeric})
    docs = []
    for row in rows:
        d = row_dict(sweep, row, front)
        d.update({n: row.values[sweep.names.index(n)] for n in numeric if n not in d})
        docs.append(d)
    axes = [FIELDS.get(m, m) for m in sweep.minimise] or ["maccs"]
    y = axes[1] if len(axes) > 1 else FIELDS.get(sweep.maximise, sweep.maximise)
    budget = [{**limit_dict(lim), "field": FIELDS.get(_metric(lim.key), _metric(lim.key))} for lim in sweep.limits]
    data = {"kind": "sweep", "spec": sweep.path, "swept": list(sweep.names), "device": sweep.device,
            "budget": budget, "rows": docs, "metrics": metrics, "plot": {"x": axes[0], "y": y},
            "pareto": front is not None, "summary": {"points": tally.points, "valid": tally.valid, "fit": tally.fit},
            "summary_text": summary_text(sweep, tally, front),
            "best_text": best_text(sweep, best.row) if best is not None else None,
            "best": best.row.index if best is not None and best.row is not None else None}
    out.write(page(f"netspec sweep: {sweep.path}", data))
    return tally


def _metric(key: str) -> str:
    """A budget key as a sweep metric (peak_activation_memory is peak_memory)."""
    return "peak_memory" if key == "peak_activation_memory" else key
