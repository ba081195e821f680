"""`netspec diff BASE HEAD`: what a proposal changes, per layer (matched by name) and in total.

Either side is a path or `REV:path`, read through `git show`; a base that does not exist at REV
(a spec added by the pull request) compares against an empty network.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

DIFF_METRICS = ("params", "maccs", "flops", "memory_accesses")
TOTAL_METRICS = DIFF_METRICS + ("peak_activation_memory",)


class SideError(Exception):
    """A side that cannot be read at all (exit 2)."""


@dataclass(slots=True)
class Side:
    label: str
    text: str | None  # None: the spec does not exist on this side
    result: object = None  # FileResult


@dataclass(slots=True)
class LayerChange:
    name: str
    status: str  # added | removed | changed | same
    base: dict | None
    head: dict | None

    def delta(self, metric: str) -> int:
        return (self.head or {}).get(metric, 0) - (self.base or {}).get(metric, 0)


@dataclass(slots=True)
class Rule:
    metric: str
    amount: float
    percent: bool
    text: str


@dataclass(slots=True)
class DiffResult:
    base: Side
    head: Side
    totals: dict = field(default_factory=dict)  # metric -> (base, head)
    layers: list[LayerChange] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # --fail-on-increase rules broken

    @property
    def ok(self) -> bool:
        return not self.failures

    def with_status(self, status: str) -> list[LayerChange]:
        """Layers added (in head order), removed (in base order) or changed."""
        return [c for c in self.layers if c.status == status]

    def movers(self, n: int = 10, statuses=("changed",)) -> list[LayerChange]:
        """The n layers of these statuses whose MACCs (then params) moved most."""
        moved = [c for c in self.layers if c.status in statuses]
        moved.sort(key=lambda c: (abs(c.delta("maccs")), abs(c.delta("params"))), reverse=True)
        return moved[:n]


def read_side(arg: str) -> Side:
    """A path on disk, or REV:path through `git show` (a path missing at REV is an absent side)."""
    if os.path.exists(arg) or ":" not in arg:
        try:
            with open(arg, encoding="utf-8-sig") as fh:
                return Side(arg, fh.read())
        except OSError as exc:
            raise SideError(f"cannot read {arg}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise SideError(f"{arg} is not UTF-8 text") from None
    rev, _, path = arg.partition(":")
    try:
        proc = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SideError(f"cannot run git to read {arg}: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        if "does not exist in" in err or "exists on disk, but not in" in err:
            return Side(arg, None)
        raise SideError(f"git show {rev}:{path} failed: {err.splitlines()[-1] if err else proc.returncode}")
    try:
        return Side(arg, proc.stdout.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SideError(f"{arg} is not UTF-8 text") from None


def parse_rule(text: str) -> Rule:
    """`maccs=5%` (relative to the base) or `params=100K` (absolute)."""
    from .quantity import QuantityError, parse_quantity

    metric, sep, amount = text.partition("=")
    metric = metric.strip()
    if not sep or metric not in TOTAL_METRICS:
        raise ValueError(f"--fail-on-increase takes METRIC=AMOUNT with METRIC one of {', '.join(TOTAL_METRICS)}; "
                         f"got {text!r}")
    amount = amount.strip()
    if amount.endswith("%"):
        try:
            return Rule(metric, float(amount[:-1]), True, text)
        except ValueError:
            raise ValueError(f"--fail-on-increase {text}: {amount!r} is not a percentage") from None
    try:
        return Rule(metric, parse_quantity(amount), False, text)
    except QuantityError as exc:
        raise ValueError(f"--fail-on-increase {text}: {exc}") from None


def _layer_facts(result) -> dict[str, dict]:
    if result is None or result.graph is None:
        return {}
    return {layer.name: {"type": layer.type, "output": list(layer.output), **layer.cost.as_dict()}
            for layer in result.graph.layers}


def _total_facts(result) -> dict:
    if result is None or result.totals is None:
        return {m: 0 for m in TOTAL_METRICS}
    t = result.totals
    return {m: getattr(t, m) for m in TOTAL_METRICS}


def compare(base: Side, head: Side, rules: list[Rule]) -> DiffResult:
    """Both sides already checked (Side.result set, or text None)."""
    out = DiffResult(base, head)
    bt, ht = _total_facts(base.result), _total_facts(head.result)
    out.totals = {m: (bt[m], ht[m]) for m in TOTAL_METRICS}
    bl, hl = _layer_facts(base.result), _layer_facts(head.result)
    for name, facts in hl.items():
        if name not in bl:
            out.layers.append(LayerChange(name, "added", None, facts))
        else:
            same = facts == bl[name]
            out.layers.append(LayerChange(name, "same" if same else "changed", bl[name], facts))
    for name, facts in bl.items():
        if name not in hl:
            out.layers.append(LayerChange(name, "removed", facts, None))
    for rule in rules:
        b, h = out.totals[rule.metric]
        increase = h - b
        if increase <= 0:
            continue
        if rule.percent:
            broken = b == 0 or 100 * increase / b > rule.amount
        else:
            broken = increase > rule.amount
        if broken:
            share = f" ({100 * increase / b:+.1f}%)" if b else ""
            out.failures.append(f"{rule.metric} grew by {increase:,}{share}, over the allowed increase "
                                f"{rule.text.split('=', 1)[1].strip()}")
    return out
