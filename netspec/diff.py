"""`netspec diff BASE HEAD`: what a proposal changes, per layer (matched by name) and in total.

Either side is a path or `REV:path`, read through `git show`; a base that does not exist at REV
(a spec added by the pull request) compares against an empty network.
"""

from __future__ import annotations

import math
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
    text: str | None  # None: the spec does not exist on this side (or could not be read: `problem`)
    result: object = None  # FileResult
    problem: object = None  # a Diagnostic (NS001 unreadable, NS007 not UTF-8, NS010 too large)


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


def read_side(arg: str, limits=None) -> Side:
    """A path on disk, or REV:path through `git show` (a path missing at REV is an absent side).

    Both are read as `check` reads a file: only regular files (no FIFO, device or /proc file), at
    most --max-file-size bytes, UTF-8; a problem is the side's `problem`, a diagnostic.
    """
    from .loader import DEFAULT_LIMITS, decode_spec, read_text

    limits = limits or DEFAULT_LIMITS
    if os.path.lexists(arg) or ":" not in arg:
        text, problem = read_text(arg, limits)
        return Side(arg, text, problem=problem)
    rev, _, path = arg.partition(":")
    if rev.startswith("-"):
        raise SideError(f"{arg}: a revision cannot start with `-` (it would be read as an option of git)")
    raw, problem = _git_show(rev, path, arg, limits.max_file_size)
    if problem == "absent":
        return Side(arg, None)
    if problem is not None:
        return Side(arg, None, problem=problem)
    text, problem = decode_spec(raw, limits, "the file")
    return Side(arg, text, problem=problem)


def _git_show(rev: str, path: str, arg: str, max_size: int):
    """The bytes of `rev:path`, and None; or (None, "absent"); or (None, an NS010 diagnostic).

    `--end-of-options` keeps whatever the user typed from being read as an option; output past
    max_size stops the read (git is killed) instead of holding a huge blob in memory.
    """
    import selectors
    import tempfile
    import time

    from .diagnostics import Diagnostic

    try:
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(["git", "show", "--end-of-options", f"{rev}:{path}"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err)
    except OSError as exc:
        raise SideError(f"cannot run git to read {arg}: {exc.strerror or exc}") from None
    chunks, size, deadline = [], 0, time.monotonic() + GIT_TIMEOUT
    fd = proc.stdout.fileno()
    with err, selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise SideError(f"git show {rev}:{path} did not finish within {GIT_TIMEOUT} s")
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_size:
                    return None, Diagnostic("NS010", f"the file is over the limit of {max_size:,} bytes "
                                            "(raise it with --max-file-size)", 1, 1)
                chunks.append(chunk)
            code = proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            raise SideError(f"git show {rev}:{path} did not finish within {GIT_TIMEOUT} s") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        err.seek(0)
        message = err.read(1 << 16).decode("utf-8", "replace").strip()
    if code != 0:
        if "does not exist in" in message or "exists on disk, but not in" in message:
            return None, "absent"
        raise SideError(f"git show {rev}:{path} failed: {message.splitlines()[-1] if message else code}")
    return b"".join(chunks), None


GIT_TIMEOUT = 30  # seconds for one `git show`


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
            percent = float(amount[:-1])
        except ValueError:
            percent = math.nan
        if not math.isfinite(percent) or percent < 0:  # nan% would pass every increase, -5% every decrease
            raise ValueError(f"--fail-on-increase {text}: {amount!r} is not a percentage (a finite number >= 0, "
                             "then %)")
        return Rule(metric, percent, True, text)
    try:
        return Rule(metric, parse_quantity(amount), False, text)
    except QuantityError as exc:
        raise ValueError(f"--fail-on-increase {text}: {exc}") from None


def _layer_facts(result) -> dict[str, dict]:
    """Facts by layer name. Expansion keeps names unique (NS207 when a written name is also a
    generated one), so each layer is matched by its own name; should two ever share one, the later
    is keyed `name#2` rather than silently replacing the first."""
    if result is None or result.graph is None:
        return {}
    out: dict[str, dict] = {}
    for layer in result.graph.layers:
        key, n = layer.name, 1
        while key in out:
            n += 1
            key = f"{layer.name}#{n}"
        out[key] = {"type": layer.type, "output": list(layer.output), **layer.cost.as_dict()}
    return out


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
