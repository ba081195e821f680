"""Stage 2, schema: check a loaded spec against schema/netspec.schema.json, one Diagnostic per problem.

The JSON Schema is the single source of truth (editors use the same file through the YAML language
server). Two things are done here that the schema alone does not do well:

* speed: the editor-facing `$defs/layer` dispatches on `type` through a chain of if/then, which costs
  about 0.35 ms per layer in jsonschema. We validate the document against a copy of the schema in
  which `$defs/layer` accepts anything, then validate each layer directly against its own
  `$defs/layer_<type>` through a validator evolved once per type (its `$ref`s still resolve against
  the root document).
* precision: every jsonschema error is mapped to one diagnostic with a code from the registry, a
  path such as `layers[3].kernel` and the span of the offending node (for an unknown key, the key).
  An anyOf failure is explained by the branch whose type matches the value.

jsonschema is imported lazily: `netspec --version` must not pay for it.
"""

from __future__ import annotations

from functools import lru_cache

from .diagnostics import Diagnostic, format_path
from .fastschema import fast as _fast
from .loader import locate
from .resources import schema as _schema

# Words YAML 1.1 read as booleans; netspec's loader (YAML 1.2 core) keeps them as strings.
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off", "y", "n"})
_YAML11_HINT = " (YAML 1.1 booleans are plain strings in netspec; write true/false)"
_QUANTITY_HINT = "use a number or K/M/G/T, KiB/MiB/GiB, KB/MB/GB"

# How values of the named $defs are described in messages ("`kernel` must be <phrase>, got ...").
_PHRASES = {
    "expr": "a ${...} expression",
    "posint": "an integer >= 1 or a ${...} expression",
    "nonnegint": "an integer >= 0 or a ${...} expression",
    "size2": "an integer >= 1, a list [h, w] of them or a ${...} expression",
    "padding": "`same`, `valid`, an integer >= 0, a list [h, w] or [top, bottom, left, right] of them "
               "or a ${...} expression",
    "boolexpr": "true, false or a ${...} expression",
    "input_ref": "a layer name or a negative integer (-1 = the previous layer)",
    "inputs": "a layer name, a negative integer (-1 = the previous layer) or a list of them",
    "layername": "a layer name",
    "quantity": "a quantity (a number, or a string such as 4.2M or 8MiB)",
}

# Friendlier wording for the schema's patterns.
_PATTERN_PHRASES = {
    "^[a-z0-9_.-]+$": "use only lowercase letters, digits, `_`, `.` and `-`",
    "^[A-Za-z_][A-Za-z0-9_-]*$": "start with a letter or `_` and use only letters, digits, `_` and `-`",
    "^[A-Za-z_][A-Za-z0-9_]*$": "be an identifier (a letter or `_`, then letters, digits or `_`)",
    "^NS[0-9]{3}$": "be a diagnostic code such as NS401",
}

_LAYER_PREFIX = "layer_"
_BLOCK_CALL = "block_call"


def layer_types() -> frozenset[str]:
    """The layer types the schema defines: the X of every `$defs/layer_X` (without importing jsonschema)."""
    return _layer_types()


@lru_cache(maxsize=1)
def _layer_types() -> frozenset[str]:
    return frozenset(name[len(_LAYER_PREFIX):] for name in _schema()["$defs"]
                     if name.startswith(_LAYER_PREFIX) and name != _LAYER_PREFIX + _BLOCK_CALL)


_ANNOTATIONS = frozenset({"description", "default", "examples", "$comment", "markdownDescription"})


def _close(word: str, candidates) -> list[str]:
    """The nearest candidate, for a "did you mean" hint (difflib is imported only on an error)."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)


class _Inliner:
    """A copy of the schema with every `$ref` replaced by (a shared copy of) its target.

    Resolving a `$ref` through `referencing` is the most expensive step of jsonschema's hot loop; the
    schema has no recursion once `$defs/layer` is cut out, so the copy is finite. Each `$defs` entry
    is copied once and shared by all its uses, so an error's `schema` tells which def it came from.
    Annotation-only subschemas (a bare `description`) become `True`, which jsonschema skips.
    """

    def __init__(self, defs: dict, overrides: dict) -> None:
        self.defs = defs
        self.done: dict[str, object] = dict(overrides)

    def ref(self, name: str):
        if name not in self.done:
            self.done[name] = None  # a cycle would show up as None; the schema has none
            self.done[name] = self.node(self.defs[name])
        return self.done[name]

    def node(self, s):
        if isinstance(s, list):
            return [self.node(x) for x in s]
        if not isinstance(s, dict):
            return s
        if "$ref" in s:
            target = self.ref(s["$ref"].rsplit("/", 1)[-1])
            rest = {k: v for k, v in s.items() if k != "$ref" and k not in _ANNOTATIONS}
            if not rest:
                return target
            rest = {k: self.node(v) for k, v in rest.items()}
            rest["allOf"] = rest.get("allOf", []) + [target]
            return rest
        if s and all(k in _ANNOTATIONS for k in s):
            return True
        out = {}
        for k, v in s.items():
            if k == "anyOf":  # anyOf [anyOf [a, b], c] == anyOf [a, b, c], one descent less per value
                flat = []
                for alt in (self.node(x) for x in v):
                    if isinstance(alt, dict) and set(alt) == {"anyOf"}:
                        flat.extend(alt["anyOf"])
                    elif isinstance(alt, dict) and "anyOf" in alt and set(alt) <= {"anyOf"} | _ANNOTATIONS:
                        flat.extend(alt["anyOf"])
                    else:
                        flat.append(alt)
                out[k] = flat
                continue
            if k in ("properties", "$defs", "patternProperties", "dependentSchemas"):
                out[k] = {name: self.node(sub) for name, sub in v.items()}
            elif k in ("enum", "const", "required", "examples", "default") or k in _ANNOTATIONS:
                out[k] = v
            else:
                out[k] = self.node(v)
        return out


class _Compiled:
    """Everything built once per process: the document validator and one validator per layer type."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        root = _schema()
        defs = root["$defs"]
        inl = _Inliner(defs, {"layer": True})  # layers are checked one by one, see validate()
        fast = {k: v for k, v in root.items() if k != "$defs"}
        fast = inl.node(fast)
        self.doc = Draft202012Validator(fast)
        types = layer_types()
        self.layers = {t: self.doc.evolve(schema=_skip_type(inl.ref(_LAYER_PREFIX + t))) for t in types}
        self.block_call = self.doc.evolve(schema=inl.ref(_LAYER_PREFIX + _BLOCK_CALL))
        self.call_keys = frozenset(defs[_LAYER_PREFIX + _BLOCK_CALL]["properties"])
        for name in defs:
            inl.ref(name)
        self.defs = {k: v for k, v in inl.done.items() if v is not None}
        self.def_names = {id(v): k for k, v in self.defs.items() if isinstance(v, dict)}
        self.input_keys = [k for name in ("input_image", "input_sequence", "input_vector")
                           for k in defs.get(name, {}).get("properties", {})]
        self.quantity = self.defs["quantity"]
        self.expr_pattern = defs["expr"]["pattern"]
        padding_array = [b for b in self.defs["padding"]["anyOf"] if b.get("type") == "array"]
        self.padding_array = padding_array[0] if padding_array else None


def _skip_type(layer_schema: dict) -> dict:
    """The layer def without its `type: {const: X}` check: the layer was picked by that very type."""
    out = dict(layer_schema)
    out["properties"] = dict(layer_schema["properties"], type=True)
    return out


@lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    return _Compiled()


class _LazyCompiled:
    """`_compiled()` on first use: a spec that passes netspec.fastschema's exact checks never imports
    or compiles jsonschema (that takes longer than checking a whole spec)."""

    @property
    def call_keys(self) -> frozenset:
        return _fast().call_keys

    def __getattr__(self, name):
        return getattr(_compiled(), name)


def validate(data) -> list[Diagnostic]:
    """All schema problems of a loaded spec, one diagnostic each, sorted by position."""
    if not isinstance(data, dict):
        return []  # the loader has already reported a document that is not a mapping
    c = _LazyCompiled()
    m = _Mapper(c, data)
    if not _fast().doc(data):  # jsonschema only where the fast check says "invalid"
        for error in c.doc.iter_errors(data):
            m.map(error, ())

    blocks = data.get("blocks")
    block_defs = blocks if isinstance(blocks, dict) else {}
    types = layer_types()
    for bname in block_defs:
        if bname in types:
            m.add("NS104", f"block `{bname}` has the name of a built-in layer type; rename the block",
                  ("blocks", bname), key=True)

    lists = [(("layers",), data.get("layers"))]
    for bname, block in block_defs.items():
        if isinstance(block, dict):
            lists.append((("blocks", bname, "layers"), block.get("layers")))
    for prefix, layers in lists:
        if isinstance(layers, list):
            for i, layer in enumerate(layers):
                m.layer(layer, prefix + (i,), types, block_defs)
    return m.result()


class _Mapper:
    """Turns jsonschema errors (and the per-layer checks) into diagnostics for one document."""

    def __init__(self, c: _Compiled, root) -> None:
        self.c = c
        self.root = root
        self.out: dict[tuple, Diagnostic] = {}
        self.valid: set = set()  # frozen layers already found valid

    # --- collecting ---------------------------------------------------------------------------
    def add(self, code: str, message: str, path: tuple, key: bool = False) -> None:
        span = locate(self.root, path, key=key)
        d = Diagnostic(code, message, path=format_path(path)).at(span)
        self.out.setdefault((code, d.line, d.column, message), d)

    def result(self) -> list[Diagnostic]:
        return sorted(self.out.values(), key=lambda d: (d.line, d.column, d.code, d.message))

    # --- layers ---------------------------------------------------------------------------------
    def layer(self, layer, path: tuple, types: frozenset[str], blocks: dict) -> None:
        if not isinstance(layer, dict):
            self.add("NS103", f"`{_name(path)}` must be a mapping with a `type`, {_got(layer)}", path)
            return
        if "type" not in layer:
            self.add("NS102", "layer is missing `type`", path)
            return
        t = layer["type"]
        if not isinstance(t, str):
            self.add("NS103", f"`type` must be a string (a layer type or a block name), {_got(t)}", path + ("type",))
            return
        if t in types:
            if _fast().layer(t)(layer):
                return
            # Real specs repeat the same layer many times; a layer equal to one already found valid
            # (same keys, same values of the same JSON types) is valid too.
            key = _freeze(layer)
            if key in self.valid:
                return
            found = False
            for error in self.c.layers[t].iter_errors(layer):
                found = True
                self.map(error, path)
            if not found and key is not None:
                self.valid.add(key)
        elif t in blocks:
            if not _fast().block_call(layer):
                for error in self.c.block_call.iter_errors(layer):
                    self.map(error, path)
            self.block_args(layer, path, t, blocks[t])
        else:
            known = sorted(types | set(blocks))
            close = _close(t, known)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add("NS105", f"unknown layer type '{t}'{hint}", path + ("type",))

    def block_args(self, call, path: tuple, bname: str, block) -> None:
        if not isinstance(block, dict):
            return
        args = block.get("args", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            return  # reported by the schema
        for key in call:
            if key not in self.c.call_keys and key not in args:
                candidates = [a for a in args if a not in call]
                close = _close(str(key), candidates)
                hint = f" (did you mean '{close[0]}'?)" if close else (
                    f"; it takes {_join([f'`{a}`' for a in args], 'and')}" if args else "; it takes no arguments")
                self.add("NS101", f"block '{bname}' has no argument '{key}'{hint}", path + (key,), key=True)
        for arg, default in args.items():
            if default is None and arg not in call:
                self.add("NS102", f"call of block '{bname}' is missing the argument `{arg}` (it has no default)",
                         path + ("type",), key=True)

    # --- jsonschema errors ------------------------------------------------------------------------
    def map(self, e, prefix: tuple) -> None:
        path = prefix + tuple(e.absolute_path)
        v = e.validator
        if "propertyNames" in e.schema_path:
            self.property_name(e, path)
        elif isinstance(e.schema, dict) and e.schema is self.c.quantity:
            self.add("NS106", f"`{_name(path)}`: {_show(e.instance)} is not a quantity "
                     + ("(it must be >= 0)" if _is_number(e.instance) else f"({_QUANTITY_HINT})"), path)
        elif v in ("anyOf", "oneOf"):
            self.alternatives(e, prefix, path)
        elif v == "additionalProperties":
            self.unknown_keys(e, path)
        elif v == "required":
            self.missing(e, path)
        elif v == "type":
            self.wrong_type(e.instance, self.describe(e.schema), path)
        elif v is None:  # a `false` schema
            self.add("NS101", f"`{_name(path)}` is not allowed here", path)
        else:
            self.add("NS104", self.invalid_value(e, path), path)

    def alternatives(self, e, prefix: tuple, path: tuple) -> None:
        """anyOf/oneOf: explain the failure by the branch whose type fits the value."""
        fitting = [errs for errs in _branches(e) if not any(self.mismatch(x) for x in errs if not x.relative_path)]
        if len(fitting) == 1:
            for x in fitting[0]:
                self.map(x, prefix)
        elif not fitting:
            self.wrong_type(e.instance, self.describe(e.schema), path)
        else:
            self.add("NS104", f"`{_name(path)}` must be {self.describe(e.schema)}, got {_show(e.instance)}", path)

    def mismatch(self, x) -> bool:
        """Whether the error `x` (about the same value as its anyOf) means the branch is of another type."""
        v = x.validator
        if v == "type":
            return True
        if v == "pattern" and x.validator_value == self.c.expr_pattern:
            return not (isinstance(x.instance, str) and x.instance.startswith("${"))
        if v in ("anyOf", "oneOf"):
            groups = _branches(x)
            return bool(groups) and all(any(self.mismatch(y) for y in errs if not y.relative_path) for errs in groups)
        if v == "enum":
            return not any(_same_kind(val, x.instance) for val in x.validator_value)
        if v == "const":
            return not _same_kind(x.validator_value, x.instance)
        return False

    def wrong_type(self, value, expected: str, path: tuple) -> None:
        hint = _YAML11_HINT if isinstance(value, str) and value.lower() in _YAML11_BOOLS else ""
        self.add("NS103", f"`{_name(path)}` must be {expected}, {_got(value)}{hint}", path)

    def unknown_keys(self, e, path: tuple) -> None:
        props = e.schema.get("properties", {})
        where = self.where(e.schema, path)
        for key in e.instance:
            if key in props:
                continue
            names = props
            if e.schema.get("title", "").endswith(" input"):  # `heigth` in what was read as a vector input
                names = self.c.input_keys
            candidates = [p for p in names if p not in e.instance]
            close = _close(str(key), candidates)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.add("NS101", f"unknown key `{key}` {where}{hint}", path + (key,), key=True)

    def missing(self, e, path: tuple) -> None:
        inst = e.instance
        what = self.subject(e.schema, path)
        anchor = path + ("type",) if "type" in inst else path
        props = e.schema.get("properties", {})
        unknown = [str(k) for k in inst if k not in props]
        for key in e.validator_value:
            if key not in inst and not _close(key, unknown):
                # (a misspelt key that is close to the missing one is reported once, as NS101 with a hint)
                extra = " (it combines two or more inputs)" if key == "inputs" else ""
                self.add("NS102", f"{what} is missing `{key}`{extra}", anchor, key="type" in inst)

    def property_name(self, e, path: tuple) -> None:
        key = e.instance
        what = {"params": "parameter", "blocks": "block", "args": "argument"}.get(
            next((p for p in reversed(path) if isinstance(p, str)), ""), "key")
        if e.validator == "pattern":
            rule = _PATTERN_PHRASES.get(e.validator_value, f"match {e.validator_value}")
            msg = f"{what} name `{key}` must {rule}"
        elif e.validator == "not":
            msg = f"`{key}` cannot be a block argument: it is a key of every block call"
        else:
            msg = f"{what} name `{key}` is not allowed"
        self.add("NS104", msg, path + (key,), key=True)

    def invalid_value(self, e, path: tuple) -> str:
        v, val, inst, name = e.validator, e.validator_value, e.instance, _name(path)
        if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
            hint = " (a negative integer counts back: -1 is the previous layer)" if v == "maximum" and val == -1 else ""
            return f"`{name}` must be {op} {_show(val)}, got {_show(inst)}{hint}"
        if v == "enum":
            close = _close(inst, [str(x) for x in val]) if isinstance(inst, str) else []
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"`{name}` must be one of {', '.join(str(x) for x in val)}, got {_show(inst)}{hint}"
        if v == "const":
            extra = " (the format version this netspec reads)" if path == ("netspec",) else ""
            return f"`{name}` must be {_show(val)}{extra}, got {_show(inst)}"
        if v == "pattern":
            if val == self.c.expr_pattern:
                return f"`{name}`: {_show(inst)} is not a ${{...}} expression (it must end with `}}`)"
            rule = _PATTERN_PHRASES.get(val, f"match {val}")
            return f"`{name}` must {rule}, got {_show(inst)}"
        if v in ("minItems", "maxItems"):
            n = len(inst) if isinstance(inst, list) else 0
            if v == "minItems" and val == 1:
                return f"`{name}` must not be empty"
            word = "at least" if v == "minItems" else "at most"
            return f"`{name}` must have {word} {val} item{'s' if val != 1 else ''}, got {n}"
        if v == "minLength":
            return f"`{name}` must not be empty"
        if v == "not":
            if e.schema is self.c.padding_array:
                return f"`{name}` must have 2 items ([h, w]) or 4 ([top, bottom, left, right]), got {len(inst)}"
            return f"`{name}` cannot be {self.describe(val)}, got {_show(inst)}"
        return f"`{name}`: {e.message}"

    # --- wording ------------------------------------------------------------------------------------
    def where(self, schema: dict, path: tuple) -> str:
        title = schema.get("title", "")
        if not path:
            return "at the top level of the spec"
        if len(path) == 2 and path[0] == "blocks":
            return f"in block `{path[1]}`"
        if title.endswith(("layer", "input", "call")):
            return f"in {_article(title)} {title}"
        return f"in `{format_path(path)}`"

    def subject(self, schema: dict, path: tuple) -> str:
        title = schema.get("title", "")
        if not path:
            return "the spec"
        if len(path) == 2 and path[0] == "blocks":
            return f"block `{path[1]}`"
        if title:
            return title
        return f"`{format_path(path)}`"

    def describe(self, s, _depth: int = 0) -> str:
        """A short English description of the values a (sub)schema accepts."""
        return _join(self._parts(s, _depth), "or")

    def _parts(self, s, depth: int) -> list[str]:
        if s is True or not isinstance(s, dict) or depth > 8:
            return ["any value"]
        name = self.c.def_names.get(id(s))
        if name in _PHRASES:
            return [_PHRASES[name]]
        if "$ref" in s:
            target = self.c.defs.get(s["$ref"].rsplit("/", 1)[-1])
            if target is not None:
                return self._parts(target, depth + 1)
        alts = s.get("anyOf") or s.get("oneOf")
        if alts:
            parts: list[str] = []
            for alt in alts:
                for part in self._parts(alt, depth + 1):
                    if part not in parts:
                        parts.append(part)
            expr = _PHRASES["expr"]
            if expr in parts:  # the expression always reads best last
                parts = [p for p in parts if p != expr] + [expr]
            return parts
        if "enum" in s:
            return ["one of " + ", ".join(str(x) for x in s["enum"])]
        if "const" in s:
            return [_show(s["const"])]
        types = s.get("type")
        if types is None:
            return ["any value"]
        out = []
        for t in (types if isinstance(types, list) else [types]):
            if t in ("integer", "number"):
                out.append(("an integer" if t == "integer" else "a number") + _bounds(s))
            elif t == "array":
                out.append("a list")
            else:
                out.append({"string": "a string", "boolean": "true or false", "null": "null",
                            "object": "a mapping"}.get(t, t))
        return out


def _freeze(value):
    """A hashable image of a YAML value that keeps JSON types apart (true is not 1); None if unhashable."""
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            f = _freeze(v)
            if f is None:
                return None
            items.append((k, f))
        return ("{}", frozenset(items))
    if isinstance(value, list):
        items = []
        for v in value:
            f = _freeze(v)
            if f is None:
                return None
            items.append(f)
        return ("[]", tuple(items))
    if isinstance(value, float) and value != value:  # NaN never equals itself
        return None
    return (type(value), value)


def _branches(e) -> list[list]:
    """The context errors of an anyOf/oneOf error, grouped by the branch they come from."""
    groups: dict[int, list] = {}
    for x in e.context or ():
        index = x.relative_schema_path[0] if x.relative_schema_path else 0
        groups.setdefault(index, []).append(x)
    return list(groups.values())


def _bounds(s: dict) -> str:
    lo, hi = s.get("minimum"), s.get("maximum")
    if lo is not None and hi is not None:
        return f" from {_show(lo)} to {_show(hi)}"
    if lo is not None:
        return f" >= {_show(lo)}"
    if hi is not None:
        return f" <= {_show(hi)}"
    if s.get("exclusiveMinimum") is not None:
        return f" > {_show(s['exclusiveMinimum'])}"
    return ""


def _name(path: tuple) -> str:
    """The part of a path a message names: from the last mapping key on (`kernel[1]`, `layers[3]`)."""
    for i in range(len(path) - 1, -1, -1):
        if isinstance(path[i], str):
            return format_path(path[i:])
    return format_path(path) or "the spec"


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _same_kind(a, b) -> bool:
    if _is_number(a) and _is_number(b):
        return True
    return type(a) is type(b) or (isinstance(a, str) and isinstance(b, str)) \
        or (isinstance(a, dict) and isinstance(b, dict)) or (isinstance(a, list) and isinstance(b, list))


def _show(x) -> str:
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "null"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, dict):
        return "a mapping"
    if isinstance(x, list):
        return "[" + ", ".join(_show(i) for i in x) + "]" if len(x) <= 8 else f"a list of {len(x)} items"
    return str(x)


def _got(x) -> str:
    if isinstance(x, str):
        return f"got the string {x!r}"
    if isinstance(x, dict):
        return "got a mapping"
    if isinstance(x, list):
        return "got a list"
    if isinstance(x, bool) or x is None:
        return f"got {_show(x)}"
    if isinstance(x, int):
        return f"got the integer {x}"
    return f"got the number {_show(x)}"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(parts: list[str], conj: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conj} " + parts[-1]
