"""Stage 2, schema: check a loaded spec against schema/netspec.schema.json, one Diagnostic per problem.

The JSON Schema is the single source of truth (editors use the same file through the YAML language
server). Two things are done here that the schema alone does not do well:

* speed: the editor-facing `$defs/layer` dispatches on `type` through a chain of if/then, which costs
  about 0.35 ms per layer in jsonschema. We validate the document against a copy of the schema in
  which `$defs/layer` accepts anything, then validate each layer directly against its own
  `$defs/layer_<type>` through a validator evolved once per type (its `$ref`s still resolve against
  the root document).
* precision: every jsonschema error is mapped to one diagnostic with a code from the registry, a
  path such as `layers[3].kernel` and the span of the offending node (for an unknown key, the key);
  the wording lives in `schema_errors.py`.

jsonschema is imported lazily: `netspec --version` must not pay for it.
"""

from __future__ import annotations

from functools import lru_cache

from .diagnostics import Diagnostic, format_path
from .fastschema import fast as _fast
from .loader import locate
from .resources import schema as _schema

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
        from jsonschema import Draft202012Validator, ValidationError, validators

        from .fastschema import ecma_regex

        def pattern(validator, pat, instance, schema):
            """`pattern` with ECMA-262's `$` (the end of the text), as fastschema checks it."""
            if validator.is_type(instance, "string") and not ecma_regex(pat).search(instance):
                yield ValidationError(f"{instance!r} does not match {pat!r}")

        Draft202012Validator = validators.extend(Draft202012Validator, {"pattern": pattern})
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
        self.time = self.defs.get("time")
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

    _shadowed_names(m, data, block_defs)

    lists = [(("layers",), data.get("layers"))]
    for bname, block in block_defs.items():
        if isinstance(block, dict):
            lists.append((("blocks", bname, "layers"), block.get("layers")))
    try:
        for prefix, layers in lists:
            if isinstance(layers, list):
                for i, layer in enumerate(layers):
                    m.layer(layer, prefix + (i,), types, block_defs)
    except _TooManyErrors as stop:
        d = Diagnostic("NS107", f"more than {MAX_SLOW_LAYERS:,} layers break the schema; those are reported, and "
                       "checking stops at this one (fix them and check again)").at(locate(data, stop.path))
        m.out[("NS107",)] = d  # path "": nothing is expanded after it
    return m.result()


MAX_SLOW_LAYERS = 1_000  # layers that fail the fast check and go to jsonschema (~0.3 ms each) per spec


class _TooManyErrors(Exception):
    def __init__(self, path: tuple) -> None:
        self.path = path


def _shadowed_names(m: "_Mapper", data, blocks: dict) -> None:
    """NS104 for a param or block argument named like a name expansion defines (`i`, `in_channels`,
    ...): expressions would read expansion's value, never the one written."""
    from .expr import SCOPE_NAMES

    places = [(("params",), data.get("params"), "param `{}`")]
    places += [(("blocks", b, "args"), block.get("args"), "argument `{}` of block `%s`" % b)
               for b, block in blocks.items() if isinstance(block, dict)]
    for path, names, what in places:
        if isinstance(names, dict):
            for name in names:
                if name in SCOPE_NAMES:
                    meaning = "the repeat index" if name == "i" else "a size of the layer's input"
                    m.add("NS104", f"{what.format(name)} would never be read: `{name}` is {meaning} in every "
                          "expression; choose another name", path + (name,), key=True)


class _Mapper:
    """The diagnostics of one document: the per-layer and block-call checks, and jsonschema's
    errors mapped to codes and messages by `schema_errors.ErrorMapper` (imported on an error only,
    like jsonschema: a valid spec needs neither)."""

    def __init__(self, c: _Compiled, root) -> None:
        self.c = c
        self.root = root
        self.out: dict[tuple, Diagnostic] = {}
        self.valid: set = set()  # frozen layers already found valid
        self.errors = None  # the ErrorMapper, made at the first error
        self.slow = 0  # layers checked by jsonschema (or matched against every type name)

    # --- collecting ---------------------------------------------------------------------------
    def add(self, code: str, message: str, path: tuple, key: bool = False) -> None:
        span = locate(self.root, path, key=key)
        d = Diagnostic(code, message, path=format_path(path)).at(span)
        # One diagnostic per node and problem (jsonschema can report one twice through anyOf
        # branches); the path keeps apart nodes without positions (a dict given to analyze).
        self.out.setdefault((code, d.line, d.column, message, d.path), d)

    def result(self) -> list[Diagnostic]:
        return sorted(self.out.values(), key=lambda d: (d.line, d.column, d.code, d.message))

    def map(self, error, prefix: tuple) -> None:
        """Record the diagnostic of one jsonschema error about the node at `prefix`."""
        if self.errors is None:
            from .schema_errors import ErrorMapper

            self.errors = ErrorMapper(self.c, self.add)
        self.errors.map(error, prefix)

    # --- layers ---------------------------------------------------------------------------------
    def slow_path(self, path: tuple) -> None:
        """Count a layer that needs jsonschema's messages: past MAX_SLOW_LAYERS, checking stops (a spec
        of 100,000 broken layers would otherwise take half a minute to say the same thing 100,000 times)."""
        self.slow += 1
        if self.slow > MAX_SLOW_LAYERS:
            raise _TooManyErrors(path)

    def layer(self, layer, path: tuple, types: frozenset[str], blocks: dict) -> None:
        """Check one layer (or block call) against its own type's schema."""
        if not isinstance(layer, dict):
            from .schema_errors import got, key_name

            self.add("NS103", f"`{key_name(path)}` must be a mapping with a `type`, {got(layer)}", path)
            return
        if "type" not in layer:
            self.add("NS102", "layer is missing `type`", path)
            return
        t = layer["type"]
        if not isinstance(t, str):
            from .schema_errors import got

            self.add("NS103", f"`type` must be a string (a layer type or a block name), {got(t)}", path + ("type",))
            return
        if t in types:
            if _fast().layer(t)(layer):
                return
            # Real specs repeat the same layer many times; a layer equal to one already found valid
            # (same keys, same values of the same JSON types) is valid too.
            key = _freeze(layer)
            if key in self.valid:
                return
            self.slow_path(path)
            found = False
            for error in self.c.layers[t].iter_errors(layer):
                found = True
                self.map(error, path)
            if not found and key is not None:
                self.valid.add(key)
        elif t in blocks:
            if not _fast().block_call(layer):
                self.slow_path(path)
                for error in self.c.block_call.iter_errors(layer):
                    self.map(error, path)
            self.block_args(layer, path, t, blocks[t])
        else:
            from .schema_errors import close_match

            self.slow_path(path)
            known = sorted(types | set(blocks))
            close = close_match(t, known)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add("NS105", f"unknown layer type '{t}'{hint}", path + ("type",))

    def block_args(self, call, path: tuple, bname: str, block) -> None:
        """NS101 for a key the block does not take, NS102 for a required argument left out."""
        if not isinstance(block, dict):
            return
        args = block.get("args", {})
        if args is None:
            args = {}
        if not isinstance(args, dict):
            return  # reported by the schema
        for key in call:
            if key not in self.c.call_keys and key not in args:
                from .schema_errors import close_match, join_words

                candidates = [a for a in args if a not in call]
                close = close_match(str(key), candidates)
                hint = f" (did you mean '{close[0]}'?)" if close else (
                    f"; it takes {join_words([f'`{a}`' for a in args], 'and')}" if args else "; it takes no arguments")
                self.add("NS101", f"block '{bname}' has no argument '{key}'{hint}", path + (key,), key=True)
        for arg, default in args.items():
            if default is None and arg not in call:
                self.add("NS102", f"call of block '{bname}' is missing the argument `{arg}` (it has no default)",
                         path + ("type",), key=True)


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
