"""An exact, pure-Python yes/no check of the JSON Schema, so jsonschema runs only where it fails.

jsonschema is thorough but costs ~0.1-0.3 ms per layer and ~0.1 s to import; a clean spec (the
usual case in a pre-commit hook) needs none of its error machinery. Here each schema the
validator uses (the document, each `$defs/layer_<type>`, the block call) is compiled once per
process into nested closures that answer one question: is this instance valid? When the answer
is yes, the schema stage is done; when it is no, `netspec.validate` asks jsonschema for the
errors of that node only, and maps them to diagnostics exactly as before. So this module decides
nothing on its own: a wrong "no" costs time, never a diagnostic.

It must never say yes where jsonschema (Draft 2020-12, no format checker) would find an error, so
it implements the keywords the schema uses with jsonschema's semantics (`integer` accepts 1.0,
`enum`/`const` never equate true and 1, `pattern` is `re.search` of `ecma_regex`, numeric bounds apply to numbers
only, ...) and refuses to compile anything else (`Unsupported`: that validator then always
defers to jsonschema). Values outside plain JSON data (a tuple, a Decimal, a non-string key) raise
`_Unknown` while checking, which also defers to jsonschema.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["Unsupported", "compile_schema", "fast", "FastChecks"]

# Keywords that never make an instance invalid (Draft 2020-12 annotations; `format` is an
# annotation too because netspec's validator is built without a format checker).
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "markdownDescription",
                          "deprecated", "readOnly", "writeOnly", "$schema", "$id", "$defs", "format",
                          "contentMediaType", "contentEncoding"})


class Unsupported(Exception):
    """The schema uses something this checker does not implement; defer to jsonschema."""


class _Unknown(Exception):
    """An instance this checker cannot judge exactly (not plain JSON data); defer to jsonschema."""


def _always(x) -> bool:
    return True


def _never(x) -> bool:
    return False


def _is_num(x) -> bool:
    """jsonschema's `number`: an int or float that is not a bool (exotic numbers: cannot judge)."""
    t = type(x)
    if t is int or t is float:
        return True
    if t is bool or x is None or isinstance(x, (bool, str, list, dict)):
        return False
    if isinstance(x, (int, float)):
        return True
    raise _Unknown


def _integer(x) -> bool:
    """jsonschema's `integer`: an int that is not a bool, or a float with an integral value."""
    if isinstance(x, bool):
        return False
    if isinstance(x, float):
        return x.is_integer()
    return isinstance(x, int)


_TYPES = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_num,
    "integer": _integer,
}


def _equal_to(value):
    """A predicate `x == value` with jsonschema's `equal`: true is not 1, 1.0 is 1, a str only equals a str."""
    if isinstance(value, bool):
        return lambda x: x is value
    if value is None:
        return lambda x: x is None
    if isinstance(value, str):
        return lambda x: isinstance(x, str) and x == value
    if type(value) in (int, float):
        return lambda x: x is not True and x is not False and not isinstance(x, str) and x == value
    raise Unsupported(f"enum/const value {value!r}")


class _ValueKeywords:
    """Keywords about a single value: type, enum, const, numeric bounds, string length and pattern."""

    def k_type(self, v, s):
        names = v if isinstance(v, list) else [v]
        try:
            fns = tuple(_TYPES[t] for t in names)
        except KeyError as exc:
            raise Unsupported(f"type {exc}") from None
        if len(fns) == 1:
            return fns[0]
        return lambda x: any(f(x) for f in fns)

    def k_enum(self, v, s):
        if not isinstance(v, list):
            raise Unsupported("enum")
        if all(isinstance(e, str) for e in v):
            values = frozenset(v)

            return lambda x: isinstance(x, str) and x in values
        fns = tuple(_equal_to(e) for e in v)
        return lambda x: any(f(x) for f in fns)

    def k_const(self, v, s):
        return _equal_to(v)

    def _bound(self, v, test):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Unsupported("numeric bound")

        def bound(x):
            return not _is_num(x) or test(x, v)

        return bound

    def k_minimum(self, v, s):
        return self._bound(v, lambda x, b: x >= b)

    def k_maximum(self, v, s):
        return self._bound(v, lambda x, b: x <= b)

    def k_exclusiveMinimum(self, v, s):
        return self._bound(v, lambda x, b: x > b)

    def k_exclusiveMaximum(self, v, s):
        return self._bound(v, lambda x, b: x < b)

    def k_minLength(self, v, s):
        return lambda x: not isinstance(x, str) or len(x) >= v

    def k_maxLength(self, v, s):
        return lambda x: not isinstance(x, str) or len(x) <= v

    def k_pattern(self, v, s):
        search = ecma_regex(v).search
        return lambda x: not isinstance(x, str) or search(x) is not None


@lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> re.Pattern:
    """A JSON Schema (ECMA-262) pattern as a Python regex. In ECMA-262 `$` is the end of the text;
    Python's `$` also matches before a final newline, so `name: "conv\\n"` passed `^[A-Za-z_]...$`
    and broke tables and exported code. Outside a character class, an unescaped `$` becomes `\\Z`."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "$":
            c = r"\Z"
        out.append(c)
        i += 1
    return re.compile("".join(out))


class _ContainerKeywords:
    """Keywords about lists and mappings: sizes, items, properties, additional keys, required keys."""

    def k_minItems(self, v, s):
        return lambda x: not isinstance(x, list) or len(x) >= v

    def k_maxItems(self, v, s):
        return lambda x: not isinstance(x, list) or len(x) <= v

    def k_items(self, v, s):
        if "prefixItems" in s or isinstance(v, list):
            raise Unsupported("prefixItems / array-form items")
        item = self.compile(v)
        if item is _always:
            return _always

        def items(x):
            if isinstance(x, list):
                for y in x:
                    if not item(y):
                        return False
            return True

        return items

    def k_properties(self, v, s):
        props = tuple((name, self.compile(sub)) for name, sub in v.items())
        props = tuple((name, fn) for name, fn in props if fn is not _always)
        if not props:
            return _always
        table = dict(props)
        size = len(table)

        def properties(x):
            if isinstance(x, dict):
                if len(x) < size:  # a layer names a few of its many properties: walk its keys
                    for key, value in x.items():
                        fn = table.get(key)
                        if fn is not None and not fn(value):
                            return False
                else:
                    for name, fn in props:
                        if name in x and not fn(x[name]):
                            return False
            return True

        return properties

    def k_patternProperties(self, v, s):
        pats = tuple((ecma_regex(p).search, self.compile(sub)) for p, sub in v.items())

        def pattern_properties(x):
            if isinstance(x, dict):
                for key, value in x.items():
                    if not isinstance(key, str):
                        raise _Unknown
                    for search, fn in pats:
                        if search(key) and not fn(value):
                            return False
            return True

        return pattern_properties

    def k_additionalProperties(self, v, s):
        known = frozenset(s.get("properties", {}))
        pats = tuple(ecma_regex(p).search for p in s.get("patternProperties", {}))
        extra = self.compile(v)
        if extra is _always:
            return _always

        def additional(x):
            if isinstance(x, dict):
                for key, value in x.items():
                    if key in known:
                        continue
                    if pats:
                        if not isinstance(key, str):
                            raise _Unknown
                        if any(p(key) for p in pats):
                            continue
                    if not extra(value):
                        return False
            return True

        return additional

    def k_required(self, v, s):
        names = tuple(v)

        def required(x):
            if isinstance(x, dict):
                for name in names:
                    if name not in x:
                        return False
            return True

        return required

    def k_propertyNames(self, v, s):
        fn = self.compile(v)

        def property_names(x):
            if isinstance(x, dict):
                for key in x:
                    if not fn(key):
                        return False
            return True

        return property_names


class _Combinators:
    """Keywords that combine subschemas: $ref, allOf, anyOf, oneOf, not, if/then/else."""

    def k_ref(self, v, s):
        return self.ref(v)

    def k_allOf(self, v, s):
        fns = tuple(self.compile(sub) for sub in v)
        return lambda x: all(f(x) for f in fns)

    def k_anyOf(self, v, s):
        fns = tuple(self.compile(sub) for sub in v)

        def any_of(x):
            for f in fns:
                if f(x):
                    return True
            return False

        return any_of

    def k_oneOf(self, v, s):
        fns = tuple(self.compile(sub) for sub in v)
        return lambda x: sum(1 for f in fns if f(x)) == 1

    def k_not(self, v, s):
        fn = self.compile(v)
        return lambda x: not fn(x)

    def k_if(self, v, s):
        test = self.compile(v)
        then = self.compile(s.get("then", True))
        orelse = self.compile(s.get("else", True))
        return lambda x: then(x) if test(x) else orelse(x)


class _Compiler(_ValueKeywords, _ContainerKeywords, _Combinators):
    """Compiles a (sub)schema into a predicate; each `$defs` entry once (recursive defs through a
    forward reference). A keyword `k` is compiled by the method `k_<k>` of the parts below."""

    def __init__(self, defs: dict, overrides: dict | None = None) -> None:
        self.defs = defs
        self.overrides = dict(overrides or {})
        self.done: dict[str, object] = {}

    def ref(self, ref: str):
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/"):]:
            raise Unsupported(f"$ref {ref!r}")
        name = ref[len("#/$defs/"):]
        if name in self.overrides:
            return self.compile(self.overrides[name])
        if name not in self.done:
            if name not in self.defs:
                raise Unsupported(f"$ref to a missing def {name!r}")
            cell: list = []
            self.done[name] = lambda x: cell[0](x)  # a forward reference, for recursive defs
            fn = self.compile(self.defs[name])
            cell.append(fn)
            self.done[name] = fn
        return self.done[name]

    def compile(self, s):
        if s is True:
            return _always
        if s is False:
            return _never
        if not isinstance(s, dict):
            raise Unsupported(f"schema {s!r}")
        checks = []
        for k, v in s.items():
            if k in _ANNOTATIONS or k in ("then", "else"):
                continue
            method = getattr(self, "k_" + k.lstrip("$"), None)
            if method is None:
                raise Unsupported(f"keyword {k!r}")
            fn = method(v, s)
            if fn is not _always:
                checks.append(fn)
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            a, b = checks
            return lambda x: a(x) and b(x)
        checks = tuple(checks)

        def all_of(x):
            for c in checks:
                if not c(x):
                    return False
            return True

        return all_of


def compile_schema(schema, defs: dict | None = None, overrides: dict | None = None, compiler=None):
    """A predicate `instance -> bool`: True exactly when jsonschema (Draft 2020-12) finds no error.

    Raises Unsupported for a schema using what this checker does not implement. The predicate
    answers False (defer to jsonschema) for an instance holding values other than plain JSON data.
    Pass a shared `compiler` (`_Compiler(defs, overrides)`) to compile each `$defs` entry once.
    """
    if compiler is None:
        if defs is None:
            defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
        compiler = _Compiler(defs, overrides)
    fn = compiler.compile({k: v for k, v in schema.items() if k != "$defs"} if isinstance(schema, dict) else schema)

    def check(instance) -> bool:
        try:
            return bool(fn(instance))
        except _Unknown:
            return False
        except RecursionError:
            return False

    return check


def _deferring(instance) -> bool:
    return False


class FastChecks:
    """The predicates netspec.validate uses, built from the packaged schema once per process; a layer
    type's predicate is compiled the first time a layer of that type is checked."""

    def __init__(self, root: dict) -> None:
        defs = root.get("$defs", {})
        # layers are checked one by one, as netspec.validate does: the document accepts any layer
        self._compiler = _Compiler(defs, {"layer": True})
        self.doc = self._build({k: v for k, v in root.items() if k != "$defs"})
        self.types = frozenset(name[len("layer_"):] for name in defs
                               if name.startswith("layer_") and name != "layer_block_call")
        self._layers: dict = {}
        self.block_call = self._build({"$ref": "#/$defs/layer_block_call"})
        call = defs.get("layer_block_call", {})
        self.call_keys = frozenset(call.get("properties", {})) if isinstance(call, dict) else frozenset()

    def _build(self, schema):
        try:
            return compile_schema(schema, compiler=self._compiler)
        except (Unsupported, re.error):
            return _deferring

    def layer(self, type_: str):
        """The predicate of `$defs/layer_<type_>` (one that always defers for an unknown type)."""
        fn = self._layers.get(type_)
        if fn is None:
            fn = self._build({"$ref": f"#/$defs/layer_{type_}"}) if type_ in self.types else _deferring
            self._layers[type_] = fn
        return fn


@lru_cache(maxsize=1)
def fast() -> FastChecks:
    from .resources import schema

    return FastChecks(schema())
