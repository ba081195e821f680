"""Sweep output: text, json, csv, markdown and html, written as the rows come.

Text, markdown, json and csv stream (a row is written when it is computed, so a long sweep's
memory stays flat) unless `--pareto` needs every row before the first can be marked; html always
collects (one page). Counts are exact integers in json and csv, human units (3.50M, 5.74 MiB)
in text and markdown, as `check` prints them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field

from ..report import units
from ..report.escape import csv_cell, json_text, md_cell, md_code, visible
from ..report.text import diagnostic_line

FORMATS = ("text", "json", "csv", "markdown", "html")
STREAMING = ("text", "json", "csv", "markdown")


@dataclass(slots=True)
class Sweep:
    """What a sweep was, for the reports: the spec, the axes, the budget, the front's metrics."""

    path: str
    names: tuple[str, ...]
    axes: tuple  # grid.Axis
    static: dict = field(default_factory=dict)
    device: str | None = None
    limits: list = field(default_factory=list)  # budget.Limit in force
    minimise: list = field(default_factory=list)  # --pareto metrics ([] without --pareto)
    maximise: str = "params"
    best: bool = False
    total: int = 0  # points to evaluate


@dataclass(slots=True)
class Tally:
    """Counts of the rows written, and the running best point (`--best`) fed with each."""

    best: object = None  # front.Best
    points: int = 0
    valid: int = 0
    fit: int = 0

    def add(self, row) -> None:
        if self.best is not None:
            self.best.add(row)
        self.points += 1
        if row.ok:
            self.valid += 1
            if row.fits:
                self.fit += 1


def value_text(v) -> str:
    """A param value as the text formats print it (a string from the command line or the spec:
    one visible line)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return visible(str(v))


def _json_value(v):
    return json_text(v) if isinstance(v, str) else v


def error_dict(d) -> dict:
    return {"code": d.code, "message": json_text(d.message), "file": json_text(d.file), "line": d.line,
            "column": d.column, "text": diagnostic_line(d)}


def row_dict(sweep: Sweep, row, front: set | None) -> dict:
    out = {"index": row.index, "point": {n: _json_value(v) for n, v in zip(sweep.names, row.values)}, "ok": row.ok,
           "params": row.params, "maccs": row.maccs, "flops": row.flops,
           "peak_activation_memory": row.peak_memory, "weight_bytes": row.weight_bytes}
    if sweep.device is not None:
        out["latency"] = row.latency
    out["fits"] = row.fits
    if front is not None:
        out["pareto"] = row.index in front
    out["diagnostic"] = error_dict(row.error) if row.error is not None else None
    return out


def limit_dict(limit) -> dict:
    return {"key": limit.key, "per_layer": limit.per_layer, "limit": limit.value, "limit_text": json_text(limit.raw),
            "origin": json_text(limit.origin)}


def budget_text(sweep: Sweep) -> str:
    """`maccs <= 300M [--max-maccs], peak_activation_memory <= 8MiB [specs/x.yaml:30:3]`."""
    return ", ".join(f"{'per-layer ' if lim.per_layer else ''}{lim.key} <= {visible(lim.raw)} "
                     f"[{visible(lim.origin)}]" for lim in sweep.limits)


def best_text(sweep: Sweep, best) -> str:
    if best is None:
        return "best: no valid point fits the budget"
    point = " ".join(f"{n}={value_text(v)}" for n, v in zip(sweep.names, best.values))
    facts = f"params {units.count(best.params)}, MACCs {units.count(best.maccs)}"
    if best.latency is not None:
        facts += f", latency {units.seconds(best.latency)}"
    return f"best: #{best.index} {point}: {facts} (the most {sweep.maximise} within the budget; ties: more MACCs)"


def summary_text(sweep: Sweep, tally: Tally, front: set | None) -> str:
    text = (f"{tally.points:,} point{'s' if tally.points != 1 else ''}: {tally.valid:,} valid, "
            + (f"{tally.fit:,} fit the budget ({budget_text(sweep)})" if sweep.limits else "no budget set"))
    if front is not None:
        text += (f"; {len(front):,} on the Pareto front (minimising {', '.join(sweep.minimise)}; "
                 f"maximising {sweep.maximise})")
    return text


# -- tables (text and markdown) --------------------------------------------------------------------

def columns(sweep: Sweep, front: set | None) -> list[str]:
    cols = ["#", *sweep.names, "params", "MACCs", "FLOPs", "peak mem", "weights"]
    if sweep.device is not None:
        cols.append("latency")
    cols.append("fits")
    if front is not None:
        cols.append("pareto")
    return cols


def cells(sweep: Sweep, row, front: set | None) -> list[str]:
    head = [str(row.index), *(value_text(v) for v in row.values)]
    if not row.ok:
        return head + ["error: " + diagnostic_line(row.error)]
    out = head + [units.count(row.params), units.count(row.maccs), units.count(row.flops),
                  units.nbytes(row.peak_memory), units.nbytes(row.weight_bytes)]
    if sweep.device is not None:
        out.append(units.seconds(row.latency) if row.latency is not None else "-")
    out.append("yes" if row.fits else "no")
    if front is not None:
        out.append("*" if row.index in front else "")
    return out


def _widths(sweep: Sweep, front: set | None) -> list[int]:
    """Fixed column widths (rows stream): each param's longest value, room for 3-digit units."""
    widths = [max(len(str(sweep.total - 1)), 1)]
    for axis in sweep.axes:
        widths.append(max(len(axis.name), *(len(value_text(v)) for v in axis.values)))
    widths += [6, 6, 6, 9, 9]
    if sweep.device is not None:
        widths.append(9)
    widths.append(4)
    if front is not None:
        widths.append(6)
    return [max(w, len(c)) for w, c in zip(widths, columns(sweep, front))]


def write_text(out, sweep: Sweep, rows, front, best) -> Tally:
    cols = columns(sweep, front)
    widths = _widths(sweep, front)
    n = len(sweep.names)
    right = [k == 0 or (k <= n and _numeric_axis(sweep, k - 1)) or (k > n and cols[k] not in ("fits", "pareto"))
             for k in range(len(cols))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    tally = Tally(best)
    out.write(line(cols) + "\n")
    for row in rows:
        tally.add(row)
        values = cells(sweep, row, front)
        out.write(line(values) + "\n" if row.ok else f"{line(values[:-1])}  {values[-1]}\n")
    return tally


def _numeric_axis(sweep: Sweep, k: int) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in sweep.axes[k].values)


def write_markdown(out, sweep: Sweep, rows, front, best) -> Tally:
    cols = columns(sweep, front)
    out.write(f"**netspec sweep** {md_code(sweep.path)}\n\n")
    out.write("| " + " | ".join(cols) + " |\n")
    right = {"#", "params", "MACCs", "FLOPs", "peak mem", "weights", "latency"}
    out.write("|" + "|".join("---:" if c in right else "---" for c in cols) + "|\n")
    tally = Tally(best)
    for row in rows:
        tally.add(row)
        values = cells(sweep, row, front)
        for k, v in enumerate(row.values, start=1):  # text a param took: a code span, never markup
            if isinstance(v, str):
                values[k] = md_code(values[k])
        if not row.ok:
            values = values[:-1] + [md_code(values[-1])] + [""] * (len(cols) - len(values))
        out.write("| " + " | ".join(md_cell(v) for v in values) + " |\n")
    return tally


# -- data (json, csv) ------------------------------------------------------------------------------

def write_json(out, sweep: Sweep, rows, front, best) -> Tally:
    """One JSON document; its rows are written one per line as they come."""
    head = {"version": 1, "spec": json_text(sweep.path), "swept": list(sweep.names),
            "fixed": {n: _json_value(v) for n, v in sweep.static.items()},
            "device": sweep.device, "budget": [limit_dict(lim) for lim in sweep.limits],
            "pareto": {"minimise": sweep.minimise, "maximise": sweep.maximise} if front is not None else None}
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1] + ', "rows": [')
    tally = Tally(best)
    for row in rows:
        out.write(",\n" if tally.points else "\n")
        tally.add(row)
        out.write(json.dumps(row_dict(sweep, row, front), ensure_ascii=False, allow_nan=False))
    summary = {"points": tally.points, "valid": tally.valid, "fit": tally.fit}
    if front is not None:
        summary["pareto"] = len(front)
    tail = {"summary": summary}
    if best is not None:
        tail["best"] = row_dict(sweep, best.row, front) if best.row is not None else None
    out.write("\n], " + json.dumps(tail, ensure_ascii=False)[1:] + "\n")
    return tally


def csv_header(sweep: Sweep, front) -> list[str]:
    head = ["index", *sweep.names, "ok", "params", "maccs", "flops", "peak_activation_memory", "weight_bytes"]
    if sweep.device is not None:
        head.append("latency_s")
    head.append("fits")
    if front is not None:
        head.append("pareto")
    return head + ["diagnostic"]


def write_csv(out, sweep: Sweep, rows, front, best) -> Tally:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(csv_header(sweep, front))
    tally = Tally(best)
    for row in rows:
        tally.add(row)
        d = row_dict(sweep, row, front)
        values = [row.index, *(csv_cell(value_text(v)) if isinstance(v, str) else value_text(v) for v in row.values),
                  "true" if row.ok else "false"]
        values += ["" if d[k] is None else d[k] for k in ("params", "maccs", "flops", "peak_activation_memory",
                                                          "weight_bytes")]
        if sweep.device is not None:
            values.append("" if row.latency is None else repr(row.latency))
        values.append("" if row.fits is None else "true" if row.fits else "false")
        if front is not None:
            values.append("true" if row.index in front else "false")
        values.append(csv_cell(diagnostic_line(row.error)) if row.error is not None else "")
        w.writerow(values)
    return tally


WRITERS = {"text": write_text, "markdown": write_markdown, "json": write_json, "csv": write_csv}
