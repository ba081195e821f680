"""jsonschema errors -> netspec diagnostics: one code, one message, one node per mistake.

`ErrorMapper` is what `validate._Mapper` asks to explain a jsonschema error: the code from
the registry (NS101 unknown key, NS102 missing, NS103 wrong type, NS104 invalid value, NS106 bad
quantity), a message that names the key and what it accepts (`describe`), and the path at fault.
An anyOf failure is explained by the branch whose type matches the value.
"""

from __future__ import annotations

from .diagnostics import format_path

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
    "time": "a time with its unit (5ms, 250us, 1.5s)",
}

# Friendlier wording for the schema's patterns.
_PATTERN_PHRASES = {
    "^[a-z0-9_.-]+$": "use only lowercase letters, digits, `_`, `.` and `-`",
    "^[A-Za-z_][A-Za-z0-9_-]*$": "start with a letter or `_` and use only letters, digits, `_` and `-`",
    "^[A-Za-z_][A-Za-z0-9_]*$": "be an identifier (a letter or `_`, then letters, digits or `_`)",
    "^NS[0-9]{3}$": "be a diagnostic code such as NS401",
}


# Names users bring from PyTorch and Keras, and what netspec calls the same thing. Matched without
# case, `_` or `-` (`BatchNorm2d`, `batch_norm`); a synonym is offered only if it fits the place.
SYNONYMS = {
    "hardswish": "hswish", "hardsigmoid": "hsigmoid", "leakyrelu": "leaky_relu",
    "linear": "dense", "fc": "dense", "fullyconnected": "dense", "conv2d": "conv", "convolution": "conv",
    "convtranspose2d": "deconv", "conv2dtranspose": "deconv", "convtranspose": "deconv",
    "depthwiseconv2d": "depthwise", "separableconv2d": "separable",
    "maxpool2d": "maxpool", "maxpooling2d": "maxpool", "avgpool2d": "avgpool", "averagepooling2d": "avgpool",
    "adaptiveavgpool2d": "global_avgpool", "globalaveragepooling2d": "global_avgpool",
    "adaptivemaxpool2d": "global_maxpool", "globalmaxpooling2d": "global_maxpool",
    "batchnorm2d": "batchnorm", "batchnormalization": "batchnorm", "layernormalization": "layernorm",
    "concatenate": "concat", "cat": "concat", "mul": "multiply", "sum": "add",
    "upsampling2d": "upsample", "interpolate": "upsample",
    "scalefactor": "scale", "outchannels": "filters", "kernelsize": "kernel", "strides": "stride",
    "outfeatures": "units", "dilationrate": "dilation", "usebias": "bias",
    "multiheadattention": "attention", "selfattention": "attention", "mha": "attention",
    "windowattention": "attention", "numheads": "heads", "nhead": "heads", "numkeyvalueheads": "kv_heads",
    "embed": "embedding", "layerscale": "layer_scale", "pixelunshuffle": "space_to_depth",
    "pixelshuffle": "depth_to_space",
}
# Real layer names netspec does not have, whose nearest spelling would mislead (`selu` is not
# `relu`): they get no guess.
NO_GUESS = frozenset({"lstm", "gru", "rnn", "selu", "instancenorm", "conv1d", "conv3d", "maxpool1d", "avgpool1d"})


def _plain(word: str) -> str:
    return word.lower().replace("_", "").replace("-", "")


def close_match(word: str, candidates) -> list[str]:
    """The candidate a user most likely meant, for a "did you mean" hint: the same name in another
    case, a PyTorch/Keras synonym, else the nearest spelling unless the word is a real layer
    netspec lacks (difflib is imported only on an error)."""
    candidates = [str(c) for c in candidates]
    plain = _plain(str(word))
    for c in candidates:
        if _plain(c) == plain:
            return [c]
    target = SYNONYMS.get(plain)
    if target in candidates:
        return [target]
    if plain in NO_GUESS:
        return []
    import difflib

    return difflib.get_close_matches(str(word), candidates, n=1, cutoff=0.6)


class ErrorMapper:
    """Maps jsonschema errors to diagnostics, given `c` (the compiled schema facts of
    `validate._Compiled`) and `add(code, message, path, key=False)`, which records one."""

    def __init__(self, c, add) -> None:
        self.c = c
        self.add = add

    def map(self, e, prefix: tuple) -> None:
        """Record the diagnostic of one jsonschema error about the node at `prefix` + its path."""
        path = prefix + tuple(e.absolute_path)
        v = e.validator
        if "propertyNames" in e.schema_path:
            self.property_name(e, path)
        elif isinstance(e.schema, dict) and e.schema is self.c.quantity:
            self.add("NS106", f"`{key_name(path)}`: {_show(e.instance)} is not a quantity "
                     + ("(it must be >= 0)" if _is_number(e.instance) else f"({_QUANTITY_HINT})"), path)
        elif isinstance(e.schema, dict) and e.schema is self.c.time:
            self.add("NS106", f"`{key_name(path)}`: {_show(e.instance)} is not a time (a number with a unit: "
                     "5ms, 250us, 1.5s, 800ns)", path)
        elif v in ("anyOf", "oneOf"):
            self.alternatives(e, prefix, path)
        elif v == "additionalProperties":
            self.unknown_keys(e, path)
        elif v == "required":
            self.missing(e, path)
        elif v == "type":
            self.wrong_type(e.instance, describe(self.c, e.schema), path)
        elif v is None:  # a `false` schema
            self.add("NS101", f"`{key_name(path)}` is not allowed here", path)
        else:
            self.add("NS104", invalid_value(self.c, e, path), path)

    def alternatives(self, e, prefix: tuple, path: tuple) -> None:
        """anyOf/oneOf: explain the failure by the branch whose type fits the value."""
        fitting = [errs for errs in _branches(e) if not any(self.mismatch(x) for x in errs if not x.relative_path)]
        if len(fitting) == 1:
            for x in fitting[0]:
                self.map(x, prefix)
        elif not fitting:
            self.wrong_type(e.instance, describe(self.c, e.schema), path)
        else:
            self.add("NS104", f"`{key_name(path)}` must be {describe(self.c, e.schema)}, got {_show(e.instance)}", path)

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
        """NS103: the value is of another JSON type than the schema takes."""
        hint = _YAML11_HINT if isinstance(value, str) and value.lower() in _YAML11_BOOLS else ""
        self.add("NS103", f"`{key_name(path)}` must be {expected}, {got(value)}{hint}", path)

    def unknown_keys(self, e, path: tuple) -> None:
        """NS101 at each key the schema does not know, with a "did you mean" hint."""
        props = e.schema.get("properties", {})
        where = place_of(e.schema, path)
        for key in e.instance:
            if key in props:
                continue
            names = props
            if e.schema.get("title", "").endswith(" input"):  # `heigth` in what was read as a vector input
                names = self.c.input_keys
            candidates = [p for p in names if p not in e.instance]
            close = close_match(str(key), candidates)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.add("NS101", f"unknown key `{key}` {where}{hint}", path + (key,), key=True)

    def missing(self, e, path: tuple) -> None:
        """NS102 for each required key left out (unless a misspelt key is close to it)."""
        inst = e.instance
        what = subject_of(e.schema, path)
        anchor = path + ("type",) if "type" in inst else path
        props = e.schema.get("properties", {})
        unknown = [str(k) for k in inst if k not in props]
        for key in e.validator_value:
            if key not in inst and (not path or not any(close_match(u, [key]) for u in unknown)):
                # (a misspelt key that is close to the missing one is reported once, as NS101 with a
                # hint; but a spec's own header keys are always reported missing too: without them
                # nothing else can be checked)
                extra = " (it combines two or more inputs)" if key == "inputs" else ""
                self.add("NS102", f"{what} is missing `{key}`{extra}", anchor, key="type" in inst)

    def property_name(self, e, path: tuple) -> None:
        """NS104 at a param, block or argument name the schema refuses."""
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


def invalid_value(c, e, path: tuple) -> str:
    """The NS104 message for a value that breaks a bound, an enum, a const, a pattern or a size."""
    v, val, inst, name = e.validator, e.validator_value, e.instance, key_name(path)
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        hint = " (a negative integer counts back: -1 is the previous layer)" if v == "maximum" and val == -1 else ""
        return f"`{name}` must be {op} {_show(val)}, got {_show(inst)}{hint}"
    if v == "enum":
        close = close_match(inst, [str(x) for x in val]) if isinstance(inst, str) else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"`{name}` must be one of {', '.join(str(x) for x in val)}, got {_show(inst)}{hint}"
    if v == "const":
        extra = " (the format version this netspec reads)" if path == ("netspec",) else ""
        return f"`{name}` must be {_show(val)}{extra}, got {_show(inst)}"
    if v == "pattern":
        if val == c.expr_pattern:
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
        if e.schema is c.padding_array:
            return f"`{name}` must have 2 items ([h, w]) or 4 ([top, bottom, left, right]), got {len(inst)}"
        return f"`{name}` cannot be {describe(c, val)}, got {_show(inst)}"
    return f"`{name}`: {e.message}"


# --- wording ------------------------------------------------------------------------------------
def place_of(schema: dict, path: tuple) -> str:
    """Where an unknown key was found: `in a conv layer`, `in block `b``, `at the top level ...`."""
    title = schema.get("title", "")
    if not path:
        return "at the top level of the spec"
    if len(path) == 2 and path[0] == "blocks":
        return f"in block `{path[1]}`"
    if title.endswith(("layer", "input", "call")):
        return f"in {_article(title)} {title}"
    return f"in `{format_path(path)}`"

def subject_of(schema: dict, path: tuple) -> str:
    """What is missing a key: `conv layer`, `block `b``, `the spec`."""
    title = schema.get("title", "")
    if not path:
        return "the spec"
    if len(path) == 2 and path[0] == "blocks":
        return f"block `{path[1]}`"
    if title:
        return title
    return f"`{format_path(path)}`"

def describe(c, s, _depth: int = 0) -> str:
    """A short English description of the values a (sub)schema accepts."""
    return join_words(_parts(c, s, _depth), "or")

def _parts(c, s, depth: int) -> list[str]:
    if s is True or not isinstance(s, dict) or depth > 8:
        return ["any value"]
    name = c.def_names.get(id(s))
    if name in _PHRASES:
        return [_PHRASES[name]]
    if "$ref" in s:
        target = c.defs.get(s["$ref"].rsplit("/", 1)[-1])
        if target is not None:
            return _parts(c, target, depth + 1)
    alts = s.get("anyOf") or s.get("oneOf")
    if alts:
        parts: list[str] = []
        for alt in alts:
            for part in _parts(c, alt, depth + 1):
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


def key_name(path: tuple) -> str:
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


def got(x) -> str:
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


def join_words(parts: list[str], conj: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conj} " + parts[-1]
