"""Stage 6, judge: hold the totals and every layer to the budgets.

Budgets come from three sources, later overriding earlier, key by key: the spec's `budget:`, a
policy file (`--budget-file`, optionally keyed by spec name or path glob), and command-line flags
(`--max-maccs 300M`). Every limit remembers where it was set, so a violation can say so.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from .diagnostics import Diagnostic
from .quantity import QuantityError, parse_quantity, parse_time
from .report import units

LAYER_KEYS = ("params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes", "kv_cache_bytes",
              "latency")
TOTAL_KEYS = (*LAYER_KEYS[:-1], "peak_activation_memory", "latency")
BYTE_KEYS = {"compulsory_bytes", "weight_bytes", "peak_activation_memory", "kv_cache_bytes"}
TIME_KEYS = {"latency"}  # seconds (`5ms`); judged only when a device is given (--device)
SINGULAR = {"peak_activation_memory", "latency", "kv_cache_bytes"}  # "... exceeds", not "... exceed"
LABELS = {"params": "params", "maccs": "MACCs", "flops": "FLOPs", "memory_accesses": "memory accesses",
          "compulsory_bytes": "compulsory bytes", "weight_bytes": "weight bytes",
          "peak_activation_memory": "peak activation memory", "kv_cache_bytes": "KV cache",
          "latency": "estimated latency"}
# command-line flags whose name is not --max-<key with dashes>
FLAGS = {"peak_activation_memory": "--max-peak-memory", "kv_cache_bytes": "--max-kv-cache"}


class BudgetError(Exception):
    """A budget that cannot be used (bad policy file, bad flag); ends the run with exit 2."""


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    value: int
    raw: str  # as the user wrote it: "300M"
    origin: str  # "specs/x.yaml:88:3", "team.yaml:4:5" or "--max-maccs"
    per_layer: bool = False


@dataclass(slots=True)
class BudgetSource:
    """A policy: limits for every spec, and per-spec-pattern limits applied after them.

    A pattern matches a spec's name, or its path relative to `folder` (the policy file's folder)
    once both are normalised, so `specs/*.yaml` means the same files wherever netspec runs from
    and however the paths are spelled (`./specs/x.yaml`, an absolute path). `matched` collects the
    patterns that matched a spec of this run (the others are NS306 warnings).
    """

    name: str
    limits: list[Limit] = field(default_factory=list)
    by_spec: list[tuple[str, list[Limit]]] = field(default_factory=list)
    folder: str | None = None
    spans: dict = field(default_factory=dict)  # pattern -> its (line, column, ...) in the policy file
    matched: set = field(default_factory=set)

    def applicable(self, spec_name: str, path: str) -> list[Limit]:
        out = list(self.limits)
        if not self.by_spec:
            return out
        where = self.relative(path)
        for pattern, limits in self.by_spec:
            if fnmatch.fnmatchcase(spec_name, pattern) or (where is not None and fnmatch.fnmatchcase(where, pattern)):
                out += limits
                self.matched.add(pattern)
        return out

    def relative(self, path: str) -> str | None:
        """`path` relative to the policy's folder, with forward slashes (None when it cannot be)."""
        import os

        try:
            full = os.path.abspath(path)
            rel = os.path.relpath(full, self.folder) if self.folder else os.path.normpath(path)
        except (ValueError, OSError):  # another drive (Windows), a NUL
            return None
        return rel.replace(os.sep, "/")

    def unmatched(self, policy_path: str) -> list[Diagnostic]:
        """NS306 for every `specs:` pattern that matched no spec of the run."""
        return [Diagnostic("NS306", f"the budget pattern `{pattern}` matched none of the specs checked (it is "
                           "matched against spec names and against paths relative to the policy's folder), so its "
                           "limits were not applied", file=policy_path).at(self.spans.get(pattern))
                for pattern, _ in self.by_spec if pattern not in self.matched]


@dataclass(slots=True)
class BudgetStatus:
    """One limit against its actual value (the largest layer for a per-layer limit). A latency limit
    without a device has no actual value: it is shown as not judged."""

    limit: Limit
    actual: int | float | None
    layer: str | None = None

    @property
    def over(self) -> bool:
        return self.actual is not None and self.actual > self.limit.value

    def headroom_text(self) -> str:
        """`maccs 301M / 320M (94%)`: both sides in one unit."""
        key = ("per-layer " if self.limit.per_layer else "") + self.limit.key
        if self.actual is None:
            return f"{key} {self.limit.raw}: not judged (no latency estimate: give --device)"
        share = f"{100 * self.actual / self.limit.value:.0f}%" if self.limit.value else "-"
        where = f", largest {self.layer}" if self.layer else ""
        actual, limit = fmt_against(self.limit, self.actual)
        return f"{key} {actual} / {limit} ({share}{where})" + (" OVER" if self.over else "")

    def as_dict(self) -> dict:
        out = {"key": self.limit.key, "per_layer": self.limit.per_layer, "limit": self.limit.value,
               "limit_text": self.limit.raw, "origin": self.limit.origin, "actual": self.actual,
               "layer": self.layer, "ok": not self.over}
        if self.actual is None:
            out["note"] = "not judged: no latency estimate (no device given)"
        return out


def fmt(key: str, n: int | float) -> str:
    if key in TIME_KEYS:
        return units.seconds(n)
    return units.nbytes(n) if key in BYTE_KEYS else units.count(n)


def fmt_against(limit: Limit, *values: int | float) -> list[str]:
    """`values` and then the limit, in one unit: a byte limit written with an SI suffix (4M, 16MB)
    shows every side in MB, otherwise in MiB; times in s/ms/µs. When rounding to three digits would
    make the first value look like the limit (4.00 MB over 4.00 MB), every side is exact instead."""
    numbers = [*values, limit.value]
    if limit.key in TIME_KEYS:
        texts = [units.seconds(n) for n in numbers]
        if texts[0] == texts[-1] and numbers[0] != numbers[-1]:
            texts = [units.seconds(n, digits=6) for n in numbers]
        return texts
    if limit.key in BYTE_KEYS:
        si = limit.raw.rstrip().upper().endswith(("K", "M", "G", "T", "KB", "MB", "GB", "TB"))
        texts = [units.nbytes(n, si=si) for n in numbers]
    else:
        texts = [units.count(n) for n in numbers]
    if texts[0] == texts[-1] and numbers[0] != numbers[-1]:
        texts = [f"{n:,}" + (" B" if limit.key in BYTE_KEYS else "") for n in numbers]
    return texts


def parse_limit(key: str, value) -> int | float:
    """A budget value: a time for `latency`, bytes for the byte keys, a count otherwise."""
    return parse_time(value) if key in TIME_KEYS else parse_quantity(value, bytes_=key in BYTE_KEYS)


def _raw(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def limits_from_mapping(mapping, where, per_layer: bool = False, problems: list | None = None) -> list[Limit]:
    """Limits from a `budget:`-shaped mapping; `where(mapping, key)` gives the origin of a key.

    A value that is no quantity (or does not fit 64 bits) raises BudgetError, or, when `problems`
    is given (the spec's own budget), becomes a diagnostic at the value and is skipped. Unknown
    keys always raise: in a spec the schema stage has already reported them.
    """
    out = []
    keys = LAYER_KEYS if per_layer else TOTAL_KEYS
    for key, value in mapping.items():
        if key == "per_layer" and not per_layer:
            if not isinstance(value, dict):
                raise BudgetError(f"{where(mapping, key)}: [NS303] `per_layer` must be a mapping of budget keys")
            out += limits_from_mapping(value, where, per_layer=True, problems=problems)
            continue
        if key not in keys:
            import difflib  # only for a hint on an error

            hint = difflib.get_close_matches(str(key), keys, n=1)
            raise BudgetError(f"{where(mapping, key)}: [NS303] unknown budget key `{key}`"
                              + (f" (did you mean `{hint[0]}`?)" if hint else f"; known: {', '.join(keys)}"))
        try:
            amount = parse_limit(key, value)
            problem = None if amount <= 2**63 - 1 else \
                Diagnostic("NS215", f"`{key}`: the budget {_raw(value)} is larger than 2**63 - 1")
        except (QuantityError, ValueError, OverflowError) as exc:
            problem = Diagnostic("NS106", f"`{key}`: {exc}")
        if problem is not None:
            if problems is None:
                raise BudgetError(f"{where(mapping, key)}: [NS303] {problem.message}")
            span = mapping.value_span(key) if hasattr(mapping, "value_span") else None
            problems.append(problem.at(span))
            continue
        out.append(Limit(key, amount, _raw(value), where(mapping, key), per_layer))
    return out


def _origin(path: str):
    """A `where` function: `path:line:col` of a key in a loaded mapping."""

    def where(mapping, key) -> str:
        span = mapping.key_span(key) if hasattr(mapping, "key_span") else None
        return f"{path}:{span[0]}:{span[1]}" if span else path

    return where


def spec_budget(graph, path: str, problems: list) -> BudgetSource | None:
    """The spec's own `budget:`; its bad values go to `problems` as diagnostics at the value."""
    if not graph.budget:
        return None
    return BudgetSource("spec", limits_from_mapping(graph.budget, _origin(path), problems=problems))


def load_budget_file(path: str) -> BudgetSource:
    """A team policy: `budget:` for every spec, `specs: {glob-or-name: {...}}` for some."""
    from .loader import load_file

    loaded = load_file(path)
    if loaded.diagnostics:
        d = loaded.diagnostics[0]
        raise BudgetError(f"{path}:{d.line}:{d.column}: [{d.code}] {d.message}" if d.line else d.message)
    data = loaded.data
    where = _origin(path)
    if not isinstance(data, dict):
        raise BudgetError(f"{path}: [NS303] a budget file is a mapping with `budget:` and/or `specs:`")
    for key in data:
        if key not in ("budget", "specs"):
            raise BudgetError(f"{where(data, key)}: [NS303] unknown key `{key}` in a budget file "
                              "(expected `budget:` and `specs:`)")
    top = data.get("budget") or {}
    specs = data.get("specs") or {}
    if not isinstance(top, dict):
        raise BudgetError(f"{where(data, 'budget')}: [NS303] `budget` must be a mapping")
    if not isinstance(specs, dict):
        raise BudgetError(f"{where(data, 'specs')}: [NS303] `specs` must map spec names or globs to budgets")
    import os

    source = BudgetSource("file", limits_from_mapping(top, where), folder=os.path.dirname(os.path.abspath(path)))
    for pattern, mapping in specs.items():
        if not isinstance(mapping, dict):
            raise BudgetError(f"{where(specs, pattern)}: [NS303] the budget for `{pattern}` must be a mapping")
        source.by_spec.append((str(pattern), limits_from_mapping(mapping, where)))
        source.spans[str(pattern)] = specs.key_span(pattern) if hasattr(specs, "key_span") else None
    return source


def command_line_budget(flags: dict) -> BudgetSource | None:
    """`--max-maccs 300M` and friends; None when no flag was given."""
    limits = []
    for key, value in flags.items():
        if value is None:
            continue
        flag = FLAGS.get(key) or "--max-" + key.replace("_", "-")
        try:
            amount = parse_limit(key, value)
        except QuantityError as exc:
            raise BudgetError(f"{flag}: {exc}") from None
        limits.append(Limit(key, amount, _raw(value), flag))
    return BudgetSource("flags", limits) if limits else None


def effective_limits(graph, path: str, sources: list[BudgetSource], problems: list) -> list[Limit]:
    """The limit in force per (per_layer, key): the last source that sets it wins."""
    chosen: dict[tuple[bool, str], Limit] = {}
    spec = spec_budget(graph, path, problems)
    for source in ([spec] if spec else []) + list(sources):
        for limit in source.applicable(graph.name, path):
            chosen[(limit.per_layer, limit.key)] = limit
    return list(chosen.values())


def judge(graph, totals, sources, path: str = "", anchor=None, latency=None) -> tuple[list[Diagnostic], list[BudgetStatus]]:
    """Diagnostics for every limit exceeded, and the status of every limit (for headroom).

    Network-wide violations are anchored at `anchor` (the spec's `name:` key), per-layer ones at
    the YAML that wrote the layer. `latency` (a netspec.latency.Estimate) judges `latency` limits;
    without it they are reported as not judged.
    """
    diags: list[Diagnostic] = []
    statuses: list[BudgetStatus] = []
    limits = effective_limits(graph, path, sources, diags)
    if diags:  # the spec's budget has values that are no quantity: judge nothing against it
        return diags, statuses
    on = f" on {latency.device.name}" if latency is not None else ""
    for limit in limits:
        key = limit.key
        label = LABELS[key]
        where = on if key in TIME_KEYS else ""
        verb = "exceeds" if key in SINGULAR else "exceed"
        if key in TIME_KEYS and latency is None:
            statuses.append(BudgetStatus(limit, None))
            continue
        if not limit.per_layer:
            actual = latency.latency if key in TIME_KEYS else getattr(totals, key)
            status = BudgetStatus(limit, actual)
            statuses.append(status)
            if status.over:
                name = label if key in SINGULAR else f"total {label}"
                shown, excess, bound = fmt_against(limit, actual, actual - limit.value)
                diags.append(Diagnostic(
                    "NS301", f"{name} {shown}{where} {verb} the budget {bound} by {excess} "
                    f"({_excess(actual, limit.value)}) [budget at {limit.origin}]").at(anchor))
            continue
        worst, worst_layer = -1, None
        for i, layer in enumerate(graph.layers):
            actual = latency.layers[i].time if key in TIME_KEYS else getattr(layer.cost, key)
            if actual > worst:
                worst, worst_layer = actual, layer
            if actual > limit.value:
                shown, excess, bound = fmt_against(limit, actual, actual - limit.value)
                diags.append(Diagnostic(
                    "NS302", f"layer {layer.name}: {label} {shown}{where} {verb} the per-layer "
                    f"budget {bound} by {excess} ({_excess(actual, limit.value)}) [budget at {limit.origin}]",
                    line=layer.source.line, column=layer.source.column, path=layer.source.path))
        statuses.append(BudgetStatus(limit, max(worst, 0), worst_layer.name if worst_layer else None))
    return diags, statuses


def breaking_layers(graph, statuses: list[BudgetStatus], latency=None) -> dict[int, list[str]]:
    """Layer index -> the per-layer budget keys it exceeds (the layers NS302 reports), for pictures.
    A per-layer latency limit needs the estimate (`latency`, a netspec.latency.Estimate)."""
    out: dict[int, list[str]] = {}
    for s in statuses:
        if s.limit.per_layer and s.over:
            key, limit = s.limit.key, s.limit.value
            if key in TIME_KEYS and latency is None:
                continue
            for i, layer in enumerate(graph.layers):
                value = latency.layers[i].time if key in TIME_KEYS else getattr(layer.cost, key)
                if value > limit:
                    out.setdefault(i, []).append(key)
    return out


def _excess(actual: int, limit: int) -> str:
    if not limit:
        return "inf%"
    share = 100 * (actual - limit) / limit
    return f"{share:.1f}%" if share >= 0.1 else f"{share:.2f}%" if share >= 0.01 else "<0.01%"  # not 0.0%

