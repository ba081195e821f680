"""The Pareto front of a sweep and its best point.

`--pareto maccs,latency` names 2 or 3 metrics to minimise; `--size` names the one to maximise
(default `params`: the model's capacity), a metric or a swept param. A valid point is on the
front when no other valid point is at least as good on every one of these and better on one
(points with equal figures are all on it). The best point (`--best`) is the largest point that
fits the budget: the most `--size` among the valid points that fit every budget, ties broken by
more MACCs (at equal size, the point that uses more of the compute budget: a higher resolution),
then by the grid order (the first).
"""

from __future__ import annotations

METRICS = {  # name -> (Row field, what it is)
    "params": ("params", "parameters"),
    "maccs": ("maccs", "multiply-accumulates"),
    "flops": ("flops", "FLOPs"),
    "peak_memory": ("peak_memory", "peak activation memory, bytes"),
    "weight_bytes": ("weight_bytes", "weight bytes"),
    "latency": ("latency", "estimated latency, seconds (--device)"),
}
ALIASES = {"peak_activation_memory": "peak_memory", "memory": "peak_memory", "weights": "weight_bytes"}


class FrontError(ValueError):
    """A --pareto or --size that names no metric (a usage error)."""


def metric_name(word: str, names: tuple[str, ...], device: bool) -> str:
    """A metric or swept param name, checked: FrontError saying what is known."""
    word = ALIASES.get(word.strip(), word.strip())
    if word in METRICS:
        if word == "latency" and not device:
            raise FrontError("the metric latency needs a device: --device NAME or --device-file FILE")
        return word
    if word in names:
        return word
    known = ", ".join([*METRICS, *names])
    raise FrontError(f"no metric or swept param `{word}`; choose from {known}")


def getter(name: str, names: tuple[str, ...]):
    """row -> the value of a metric or a swept param."""
    if name in METRICS:
        field = METRICS[name][0]
        return lambda row: getattr(row, field)
    k = names.index(name)
    return lambda row: row.values[k]


def pareto(rows: list, minimise: list[str], maximise: str, names: tuple[str, ...]) -> set[int]:
    """Indices (Row.index) of the valid rows on the front. Sorted lexicographically by the
    objectives, a row can only be dominated by rows before it, and a dominated row's dominator is
    dominated by nothing that would not dominate the row too: each row is compared with the front
    found so far only."""
    gets = [getter(m, names) for m in minimise]
    size = getter(maximise, names)

    def vector(row) -> tuple:
        return (*(g(row) for g in gets), -_number(size(row)))

    candidates = sorted((vector(r), r.index) for r in rows if r.ok and all(g(r) is not None for g in gets))
    front: list[tuple] = []
    out = set()
    for vec, index in candidates:
        if not any(all(a <= b for a, b in zip(f, vec)) and f != vec for f in front):
            front.append(vec)
            out.add(index)
    return out


def _number(value) -> float:
    return value if isinstance(value, (int, float)) else 0


class Best:
    """The running best point (`--best`), fed every row as it comes."""

    def __init__(self, size: str, names: tuple[str, ...]) -> None:
        self.size = getter(size, names)
        self.row = None
        self.key = None

    def add(self, row) -> None:
        if not row.ok or not row.fits:
            return
        key = (_number(self.size(row)), row.maccs)
        if self.row is None or key > self.key:  # strictly better: the first of equals stays
            self.row, self.key = row, key
