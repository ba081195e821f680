"""Expansion's values: params, expressions and layer attributes, evaluated and normalised.

`Evaluating` is the part of `Expander` that turns what a spec wrote into what ops read:
expressions are evaluated (NS201 on error), values normalised to the op's kinds (`3` -> `(3, 3)`
for a pair; NS211/NS104 when they do not fit, NS215 past 2**63 - 1). An entry's literal
attributes are normalised once, into a `Plan` shared by all its instances; only its expressions
are evaluated per instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..expr import BudgetExhausted, ExpressionError, evaluate, is_expression
from ..diagnostics import Diagnostic
from ..loader import PosDict, PosList
from ..ops import REGISTRY
from ..ops.base import REQUIRED
from .reporting import INT64_MAX, Skip, Stop


class Evaluating:
    """Values of params and attributes. Reads `data`, `overrides`, `limits`, `plans`; reports
    through `report`."""

    def evaluate(self, node: PosDict, key: str, value, vars: dict, who: str, path: str):
        """Evaluate a field (or each element of a list field); expression errors become NS201."""
        t = type(value)
        if t is int or t is bool or t is float:  # a literal (most fields): nothing to evaluate
            return value
        try:
            if isinstance(value, list):
                self.budget.charge_list(value)
                return [evaluate(v, vars, self.limits.max_expression_length, self.budget) for v in value]
            return evaluate(value, vars, self.limits.max_expression_length, self.budget)
        except BudgetExhausted as exc:
            self.diags.append(Diagnostic("NS216", f"{who}`{key}`: {exc.message} (raise the limit with --max-layers)",
                                         path=f"{path}.{key}").at(node.value_span(key) if key in node else node.span))
            raise Stop from None
        except ExpressionError as exc:
            self.report("NS201", f"{who}`{key}`: {exc.message}", node, key, f"{path}.{key}")
            raise Skip from None
        except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:
            self.report("NS201", f"{who}`{key}`: cannot evaluate {value!r}: {exc}", node, key, f"{path}.{key}")
            raise Skip from None

    def normalize(self, kind: str, value, node, key, who, path):
        """Turn an evaluated value into the form ops expect, or report NS211 (NS215 past 2**63 - 1)."""
        t = type(value)
        simple = t is int or t is bool or t is str  # the same few literals recur: memoise (pure, immutable)
        if simple:
            hit = _NORMALIZED.get((kind, t, value), _NORMALIZED)
            if hit is not _NORMALIZED:
                return hit
        try:
            out = normalize_value(kind, value)
            if simple:
                if len(_NORMALIZED) >= 4096:
                    _NORMALIZED.clear()
                _NORMALIZED[(kind, t, value)] = out
            return out
        except _TooLarge as exc:
            self.report("NS215", f"{who}`{key}` {exc}", node, key, f"{path}.{key}")
            raise Skip from None
        except ValueError as exc:
            # NS211 is for what an expression evaluated to; a literal the schema could not judge
            # (.nan, .inf where any number is allowed) is an invalid value, NS104.
            # A string outside an enum's allowed list is NS104 however it was written (the
            # message lists the allowed strings).
            raw = node.get(key) if isinstance(node, dict) else None
            written = is_expression(raw) or (isinstance(raw, list) and any(is_expression(v) for v in raw))
            code = "NS211" if (written or raw is None) and type(kind) is not tuple else "NS104"
            self.report(code, f"{who}`{key}` {exc}", node, key, f"{path}.{key}")
            raise Skip from None

    def eval_params(self) -> dict | None:
        """The spec's params with the --set overrides, evaluated in order (None after an error)."""
        spec_params = self.data.get("params") or {}
        for name in self.overrides:
            if name not in spec_params:
                import difflib  # only for a hint on an error

                hint = difflib.get_close_matches(name, list(spec_params), n=1)
                known = ", ".join(spec_params) or "none"
                self.report("NS201", f"--set {name}: the spec has no param `{name}`"
                            + (f" (did you mean `{hint[0]}`?)" if hint else f" (its params: {known})"),
                            self.data, "params" if "params" in self.data else "name", "params")
        out: dict = {}
        ok = True
        for name, raw in spec_params.items():
            raw = self.overrides.get(name, raw)
            try:
                out[name] = value = self.evaluate(spec_params, name, raw, out, "param ", "params")
            except Skip:
                ok = False
                continue
            problem = param_problem(value)
            if problem:
                code, message = problem
                self.report(code, f"param `{name}` {message}", spec_params, name, f"params.{name}")
                ok = False
        return out if ok and not any(d.code == "NS201" for d in self.diags) else None

    def layer_attrs(self, entry: PosDict, op, planned: bool, vars, who: str, path: str) -> tuple[dict, tuple]:
        """An instance's attributes and fused batchnorm/activation: from the entry's plan when it
        is `planned` (repeated or inside a block) and has one, else the general path."""
        plan = None  # an entry expanded once: planning would only add work
        if planned:
            plan = self.plans.get(id(entry), _NO_PLAN)
            if plan is _NO_PLAN:
                plan = self.plans[id(entry)] = make_plan(entry, op)
        if plan is None:
            return self.attributes(entry, op, vars, who, path)
        attrs = plan.attrs.copy()  # literals normalised once per entry; only expressions per instance
        for name, kind in plan.dynamic:
            value = self.evaluate(entry, name, entry[name], vars, who, path)
            attrs[name] = self.normalize(kind, value, entry, name, who, path)
        fused = plan.fused
        if fused is None:  # `activation: "${...}"`
            fused = fused_parts(plan.batchnorm, self.activation(entry, vars, who, path))
        return attrs, fused

    def attributes(self, entry: PosDict, op, vars, who: str, path: str) -> tuple[dict, tuple]:
        """Every attribute evaluated and normalised (or the entry's first error reported), and the
        fused batchnorm/activation: the general path, for entries `make_plan` cannot pre-normalise."""
        type_ = entry["type"]
        attrs = {}
        for attr in op.attrs:
            if attr.name in entry:
                value = self.evaluate(entry, attr.name, entry[attr.name], vars, who, path)
                attrs[attr.name] = self.normalize(attr.kind, value, entry, attr.name, who, path)
            elif attr.default is REQUIRED:
                self.report("NS102", f"{who}{type_} layer is missing `{attr.name}`", entry, "type", path)
                raise Skip
            else:
                attrs[attr.name] = attr.default
        batchnorm = False
        if "batchnorm" in entry:
            batchnorm = self.normalize("bool", self.evaluate(entry, "batchnorm", entry["batchnorm"], vars, who, path),
                                       entry, "batchnorm", who, path)
        if op.has_bias:
            bias = entry.get("bias", not batchnorm)
            attrs["bias"] = self.normalize("bool", self.evaluate(entry, "bias", bias, vars, who, path),
                                           entry, "bias", who, path)
        return attrs, fused_parts(batchnorm, None if op.owns_activation else self.activation(entry, vars, who, path))

    def activation(self, entry: PosDict, vars, who: str, path: str) -> str | None:
        """The entry's fused activation: a name, or an expression that gives one (or null, none)."""
        act = entry.get("activation")
        if not is_expression(act):
            return act
        act = self.evaluate(entry, "activation", act, vars, who, path)
        return None if act is None else self.normalize(activation_names(), act, entry, "activation", who, path)


def activation_names() -> tuple[str, ...]:
    """The types that may be a fused `activation:` (the registry's activations)."""
    global _ACTIVATIONS
    if _ACTIVATIONS is None:
        _ACTIVATIONS = tuple(t for t, op in REGISTRY.items() if op.is_activation)
    return _ACTIVATIONS


_ACTIVATIONS: tuple | None = None


MAX_LIST = 10_000  # elements of a list param or block argument (the schema says so too)


def param_problem(value) -> tuple[str, str] | None:
    """(code, message) when a param's value cannot be one: even an unused param reaches the JSON
    report (`params_used`), where NaN is no JSON and an integer past 64 bits breaks 64-bit readers;
    a list (from --set, which no schema checks) holds at most MAX_LIST scalars."""
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            return "NS104", f"is a list of {len(value):,} elements; a list holds at most {MAX_LIST:,}"
        for v in value:
            problem = param_problem(v) if not isinstance(v, list) else ("NS104", "is a list of lists; "
                                                                         "a list holds numbers, strings or booleans")
            if problem:
                return problem
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "NS104", f"is {value!r}; a param is a finite number, true, false, a string, a list or null"
    if type(value) is not bool and isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        return "NS215", f"{show_number(value)} does not fit in 64 bits (-2**63 to 2**63 - 1)"
    return None


# --- plans: an entry's literal attributes, normalised once ----------------------------------------

_NO_PLAN = object()
_LITERALS = (int, float, bool)


@dataclass(slots=True)
class Plan:
    """What an entry's instances share: the op's attributes that are literals, already normalised
    (in the op's order, with None where an expression goes), the (name, kind) of each expression
    attribute, and the fused batchnorm/activation (None: the activation is an expression)."""

    attrs: dict
    dynamic: tuple
    fused: tuple | None
    batchnorm: bool


def _is_literal(value) -> bool:
    t = type(value)
    if t in _LITERALS:
        return True
    if t is str:
        return not (value.startswith("${") and value.endswith("}"))
    return t is PosList and all(type(v) in _LITERALS for v in value)


def make_plan(entry: PosDict, op) -> Plan | None:
    """The entry's plan, or None when anything about it needs the general path (an expression in
    `batchnorm`/`bias`, a missing or invalid literal: the general path reports those)."""
    attrs, dynamic = {}, []
    for attr in op.attrs:
        name = attr.name
        if name in entry:
            raw = entry[name]
            if not _is_literal(raw):
                attrs[name] = None
                dynamic.append((name, attr.kind))
                continue
            try:
                attrs[name] = normalize_value(attr.kind, raw)
            except ValueError:
                return None
        elif attr.default is REQUIRED:
            return None
        else:
            attrs[name] = attr.default
    batchnorm = entry.get("batchnorm", False)
    if type(batchnorm) is not bool:
        return None
    if op.has_bias:
        bias = entry.get("bias", not batchnorm)
        if type(bias) is not bool:
            return None
        attrs["bias"] = bias
    act = fused_activation(entry, op)
    fused = None if is_expression(act) else fused_parts(batchnorm, act)
    return Plan(attrs, tuple(dynamic), fused, batchnorm)


def fused_activation(entry, op):
    """The entry's fused activation as written: its `activation`, unless the op takes that key as
    its own attribute (rnn's cell nonlinearity)."""
    return None if op.owns_activation else entry.get("activation")


def fused_parts(batchnorm: bool, activation) -> tuple:
    """What a layer applies to its output as it writes it, in order: ("batchnorm", "relu6")."""
    return (("batchnorm",) if batchnorm else ()) + ((activation,) if activation else ())


# --- normalisation: a value of an attribute kind -> the form ops read -----------------------------

class _TooLarge(ValueError):
    """A count beyond 2**63 - 1: NS215, not NS211."""


def show_number(value) -> str:
    """A number for a message: floats as written by repr (1e+308), huge integers shortened."""
    text = repr(value) if isinstance(value, float) else str(value)
    return text if len(text) <= 64 else f"{text[:20]}…{text[-10:]} ({len(text):,} digits)"


def _int(value, minimum: int | None) -> int:
    """A whole number >= `minimum` (None: any sign) below 2**63."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and (not math.isfinite(value) or value != int(value))):
        what = "a whole number" if minimum is None else f"a whole number >= {minimum}"
        raise ValueError(f"must be {what}, got {value!r}")
    shown = value
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"must be >= {minimum}, got {show_number(shown)}")
    if abs(value) > INT64_MAX:
        raise _TooLarge(f"is larger than 2**63 - 1 ({show_number(shown)})")
    return value


_NORMALIZED: dict = {}  # (kind, type, literal) -> normalize_value(kind, literal), see Evaluating.normalize


def normalize_value(kind: str, value):
    """`value` in the form ops read for an attribute of `kind`; ValueError saying what is wrong."""
    if kind == "int+":
        return _int(value, 1)
    if kind == "int":
        return _int(value, None)
    if kind == "int0":
        return _int(value, 0)
    if kind in ("pair+", "pair0"):
        lo = 1 if kind == "pair+" else 0
        if isinstance(value, list):
            if len(value) != 2:
                raise ValueError(f"must be a number or a pair [h, w], got {len(value)} values")
            return (_int(value[0], lo), _int(value[1], lo))
        v = _int(value, lo)
        return (v, v)
    if kind == "padding":
        if value in ("same", "valid"):
            return value
        if isinstance(value, list):
            vals = tuple(_int(v, 0) for v in value)
            if len(vals) == 2:
                return (vals[0], vals[0], vals[1], vals[1])
            if len(vals) == 4:
                return vals
            raise ValueError(f"must be same, valid, a number, [h, w] or [top, bottom, left, right]; got {len(vals)} values")
        v = _int(value, 0)
        return (v, v, v, v)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if kind == "number+":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"must be a number > 0, got {value!r}")
        return value
    if kind == "scale":
        if isinstance(value, list):
            if len(value) != 2:
                raise ValueError(f"must be a number > 0 or a pair [sh, sw], got {len(value)} values")
            return (normalize_value("number+", value[0]), normalize_value("number+", value[1]))
        return normalize_value("number+", value)
    if kind == "rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"must be a number from 0 to 1, got {value!r}")
        return value
    if kind == "layer":  # a layer's name; expansion resolves it (Naming.resolve_references)
        if type(value) is not str or not value:
            raise ValueError(f"must be a layer name, got {value!r}")
        return value
    if type(kind) is tuple:  # an enum: one of these strings
        if type(value) is not str or value not in kind:
            allowed = " or ".join(kind) if len(kind) <= 2 else f"one of {', '.join(kind[:-1])} or {kind[-1]}"
            raise ValueError(f"must be {allowed}, got {value!r}")
        return value
    raise ValueError(f"has an unknown attribute kind {kind}")
