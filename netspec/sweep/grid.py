"""The points of a sweep: `--set name=a,b,c` lists and `start:stop:step` ranges (stop included),
their grid in order, or a seeded random sample of it.

The grid is never built: a point is decoded from its index (mixed radix, the first `--set` varying
slowest, like nested loops written in the order given), so a sample of a huge grid costs only
the points drawn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..checking import typed_value

MAX_RANGE = 1_000_000  # values one `start:stop:step` may give


class GridError(ValueError):
    """A `--set` that is no value, list or range (a usage error)."""


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept param and its values, in order."""

    name: str
    values: tuple


def parse_axis(item: str) -> Axis:
    """`width=0.35,0.5` -> Axis("width", (0.35, 0.5)); `res=128:224:32` -> (128, 160, 192, 224)."""
    name, sep, raw = item.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise GridError(f"--set takes name=value, name=a,b,c or name=start:stop:step, got {item!r}")
    raw = raw.strip()
    if raw.count(":") == 2 and "," not in raw:
        return Axis(name, _range(name, raw))
    values = tuple(typed_value(v) for v in raw.split(","))
    if any(v == "" for v in values):
        raise GridError(f"--set {name}: an empty value in {raw!r}")
    return Axis(name, values)


def _range(name: str, raw: str) -> tuple:
    """start:stop:step with stop included when the steps land on it; exact decimal steps (0.1 + 0.2
    gives 0.3), ints when all three are ints."""
    parts = [p.strip() for p in raw.split(":")]
    try:
        start, stop, step = (Decimal(p) for p in parts)
    except InvalidOperation:
        raise GridError(f"--set {name}={raw}: start:stop:step takes three numbers") from None
    if not all(x.is_finite() for x in (start, stop, step)):
        raise GridError(f"--set {name}={raw}: start:stop:step takes finite numbers")
    if step == 0 or (stop - start) * step < 0:
        raise GridError(f"--set {name}={raw}: the step must be non-zero and lead from start to stop")
    count = int((stop - start) / step) + 1
    if count > MAX_RANGE:
        raise GridError(f"--set {name}={raw} gives {count:,} values; at most {MAX_RANGE:,} per range")
    ints = all(_is_int_text(p) for p in parts)
    values = (start + k * step for k in range(count))
    return tuple(int(v) for v in values) if ints else tuple(float(v) for v in values)


def _is_int_text(text: str) -> bool:
    return text.lstrip("+-").isdigit()


@dataclass(frozen=True, slots=True)
class Grid:
    """Every combination of the axes' values; point k decoded from k."""

    axes: tuple[Axis, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def size(self) -> int:
        n = 1
        for a in self.axes:
            n *= len(a.values)
        return n

    def point(self, index: int) -> tuple:
        """The values of point `index` (0-based), in the axes' order."""
        out = []
        for a in reversed(self.axes):
            index, k = divmod(index, len(a.values))
            out.append(a.values[k])
        return tuple(reversed(out))

    def indices(self, sample: int | None = None, seed: int | None = None):
        """Every index in order, or `sample` distinct ones drawn with `seed`, in grid order."""
        if sample is None or sample >= self.size:
            return range(self.size)
        return sorted(random.Random(seed).sample(range(self.size), sample))


def make_grid(items: list[str]) -> Grid:
    axes = [parse_axis(i) for i in items]
    seen = set()
    for a in axes:
        if a.name in seen:
            raise GridError(f"--set {a.name} is given twice; list its values in one --set ({a.name}=a,b,c)")
        seen.add(a.name)
    return Grid(tuple(axes))
