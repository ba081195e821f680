"""Stage 1, load: YAML text -> plain dicts/lists/scalars that remember where they were written.

We build values straight from the parser's event stream instead of PyYAML's constructors
(untagged scalars, most of the stream, take an inlined fast path; everything else `attach`):
nothing is ever constructed from a tag (safe by design), duplicate keys are caught, scalars are
typed with YAML 1.2 core rules (`1e6` is a number, `yes`/`on` stay strings, `0755` is flagged),
aliases are shared rather than copied and their expanded size is counted *before* anything walks
them (a billion-laughs document is refused in microseconds), and nesting is bounded without
recursion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic

Span = tuple[int, int, int, int]  # 1-based (line, column, end_line, end_column)


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for hostile input; each has its own diagnostic and CLI flag."""

    max_file_size: int = 10 * 1024 * 1024
    max_yaml_nodes: int = 1_000_000
    max_depth: int = 64
    max_layers: int = 100_000
    max_repeat: int = 10_000
    max_call_depth: int = 32
    max_expression_length: int = 1_000


DEFAULT_LIMITS = Limits()


class PosDict(dict):
    """A mapping that knows the span of itself, of each key and of each value."""

    __slots__ = ("span", "spans")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self.span = span
        self.spans: dict = {}  # key -> (key_span, value_span)

    def key_span(self, key) -> Span | None:
        s = self.spans.get(key)
        return s[0] if s else self.span

    def value_span(self, key) -> Span | None:
        s = self.spans.get(key)
        return s[1] if s else self.span


class PosList(list):
    """A sequence that knows the span of itself and of each item."""

    __slots__ = ("span", "spans")

    def __init__(self, span: Span | None = None) -> None:
        super().__init__()
        self.span = span
        self.spans: list = []

    def item_span(self, index: int) -> Span | None:
        if 0 <= index < len(self.spans):
            return self.spans[index]
        return self.span


def locate(root, path, key: bool = False) -> Span | None:
    """The span of the node at `path` (a tuple of keys and indices); with key=True the key's span.

    Walks as far as the path exists and returns the deepest span found, so a diagnostic about a
    missing child still points at its parent.
    """
    node, span = root, getattr(root, "span", None)
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, PosDict) and part in node:
            span = node.key_span(part) if (last and key) else node.value_span(part)
            node = node[part]
        elif isinstance(node, PosList) and isinstance(part, int) and 0 <= part < len(node):
            span = node.item_span(part)
            node = node[part]
        else:
            break
    return span


@dataclass(slots=True)
class Loaded:
    data: object = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""


# YAML 1.2 core schema, plus `_` digit separators and the forms PyYAML users expect.
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")
_OCTAL_TRAP = re.compile(r"[-+]?0[0-9_]+$")
_INT_OTHER = re.compile(r"[-+]?0(o[0-7_]+|x[0-9a-fA-F_]+|b[01_]+)$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"\.(nan|NaN|NAN)$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


class HugeInt(int):
    """An integer literal wider than 64 bits, which no field of a spec takes.

    Python refuses to convert (or print) integers of more than 4,300 decimal digits, so such a
    literal is never turned into its exact value: it stands for +-2**64 (outside every range, so
    each check still fails) and prints as written, shortened.
    """

    def __new__(cls, written: str) -> "HugeInt":
        negative = written.startswith("-")
        self = super().__new__(cls, -(2**64) if negative else 2**64)
        self.written = _clip(written)
        return self

    def __repr__(self) -> str:
        return self.written

    __str__ = __repr__


def _clip(text: str, n: int = 40) -> str:
    """`123456789012…901234 (5,000 characters)` for text longer than n."""
    return text if len(text) <= n else f"{text[:n // 2]}…{text[-(n // 4):]} ({len(text):,} characters)"


def _int_literal(text: str, base: int) -> int:
    """int(text, base), or a HugeInt for a literal beyond 64 bits (never converting thousands of digits)."""
    if base == 10 and len(text.lstrip("+-0")) > 40:
        return HugeInt(text)
    value = int(text, base)
    return HugeInt(text) if value.bit_length() > 64 else value


_SCALARS: dict = {}  # memo of _plain_scalar: a spec repeats the same few words and numbers


def _plain_scalar(value: str):
    """Type a plain (unquoted) scalar. Returns (value, trap_message_or_None)."""
    hit = _SCALARS.get(value)
    if hit is None:
        hit = _type_plain_scalar(value)
        if len(_SCALARS) >= 8192:
            _SCALARS.clear()
        _SCALARS[value] = hit
    return hit


def _type_plain_scalar(value: str):
    if value in _NULLS:
        return None, None
    if value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    c = value[0]
    if c.isdigit() or c in "+-.":
        if _INT.match(value):
            return _int_literal(value.replace("_", ""), 10), None
        if _OCTAL_TRAP.match(value):
            digits = value.replace("_", "")
            number = _int_literal(digits, 10)
            return number, (
                f"`{_clip(value)}` has a leading zero: YAML 1.1 reads it as octal, YAML 1.2 as decimal "
                f"{number}; write it without the zero (or 0o{_clip(digits.lstrip('+-0') or '0')} for octal)")
        if _INT_OTHER.match(value):
            return _int_literal(value.replace("_", ""), 0), None
        if _FLOAT.match(value) and any(ch.isdigit() for ch in value):
            return float(value.replace("_", "")), None
        if _INF.match(value):
            return (-math.inf if value[0] == "-" else math.inf), None
        if _NAN.match(value):
            return math.nan, None
    return value, None


def _span(ev) -> Span:
    s, e = ev.start_mark, ev.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _yaml_module():
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def load_text(text: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Parse YAML text into PosDict/PosList/scalars, with every problem as a Diagnostic."""
    out = Loaded(text=text)
    diags = out.diagnostics
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        diags.append(Diagnostic("NS007", "the file contains a NUL byte; a spec is UTF-8 text",
                                *text_position(text, text.index("\x00"))))
        return out
    hidden = None if text.isascii() else _YAML11_BREAK.search(text)
    if hidden is not None:
        char = hidden.group()
        diags.append(Diagnostic("NS007", f"character U+{ord(char):04X} ({_BREAK_NAMES[char]}) is a line break to YAML "
                                "1.1 parsers (PyYAML, libyaml) but not to YAML 1.2 or to editors: text after it in "
                                "a comment would be live YAML that a reviewer never sees; remove it",
                                *text_position(text, hidden.start())))
        return out
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        diags.append(Diagnostic("NS005", "the file is empty: a spec needs at least `netspec:`, `name:`, "
                                "`input:` and `layers:`", 1, 1))
        return out
    yaml, Loader = _yaml_module()
    try:
        return _parse(text, out, limits, yaml, Loader)
    except _NestedTooDeepForLibyaml:
        # libyaml >= 0.2.6 refuses 1,000 nested flow collections while it scans ahead, before
        # any event reaches netspec's own, lower limit (NS012). The pure-Python parser delivers
        # the events, so such a document gets the same NS012 at the same place with any libyaml.
        return _parse(text, Loaded(text=out.text), limits, yaml, yaml.SafeLoader)


class _NestedTooDeepForLibyaml(Exception):
    """libyaml's own nesting limit was hit before netspec's."""


def _indenting_tab(text: str, line: int) -> tuple[int, int] | None:
    """(line, column) of a tab in the indentation of the line the parser stopped at, if any."""
    lines = text.split("\n", line)
    if not 1 <= line <= len(lines):
        return None
    row = lines[line - 1]
    indent = row[:len(row) - len(row.lstrip(" \t"))]
    return (line, indent.index("\t") + 1) if "\t" in indent else None


def _parse(text: str, out: Loaded, limits: Limits, yaml, Loader) -> Loaded:
    """The event loop of load_text, with the parser `Loader`; YAML errors become NS002/NS007/NS012."""
    diags = out.diagnostics
    builder = _Builder(diags, limits)
    try:
        _read_events(text, builder, limits, yaml, Loader)
    except _StopDocument:
        return out
    except yaml.MarkedYAMLError as exc:
        if Loader is not yaml.SafeLoader and "maximum nesting depth" in str(exc.problem):
            raise _NestedTooDeepForLibyaml from None
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        line, col = _error_position(text, exc)
        tab = _indenting_tab(text, line)
        if tab:  # PyYAML's words ("cannot start any token") do not say what to do
            line, col = tab
            what = "tabs cannot indent YAML; indent with spaces"
            diags.append(Diagnostic("NS002", what, line, col))
            return out
        diags.append(Diagnostic("NS002", f"YAML syntax error: {what}", line, col))
        return out
    except yaml.YAMLError as exc:  # reader errors: control characters etc.
        line, col = _reader_position(text, getattr(exc, "position", None), Loader is not yaml.SafeLoader)
        char = getattr(exc, "character", None)
        what = (f"character U+{char:04X} is not allowed in YAML (control characters and non-characters)"
                if isinstance(char, int) else str(exc).splitlines()[0])
        diags.append(Diagnostic("NS007", f"the file is not valid YAML text: {what}", line, col))
        return out
    except RecursionError:
        diags.append(Diagnostic("NS012", "the document is nested too deeply to read", 1, 1))
        return out
    root = out.data = builder.root
    if root is None and not diags:
        diags.append(Diagnostic("NS005", "the document is empty (null): a spec is a mapping", 1, 1))
    elif root is not None and not isinstance(root, PosDict):
        kind = "a list" if isinstance(root, PosList) else f"a single value ({type(root).__name__})"
        span = getattr(root, "span", None) or (1, 1, None, None)
        diags.append(Diagnostic("NS006", f"the top of a spec must be a mapping, found {kind}", *span))
    return out


def _read_events(text: str, builder: "_Builder", limits: Limits, yaml, Loader) -> None:
    """Feed every parser event to `builder`; an untagged scalar inside a container, most of the
    stream, is handled inline here. Raises _StopDocument after a diagnostic that ends the document."""
    diags, stack = builder.diags, builder.stack
    total = 0  # nodes so far, aliases counted at their expanded size
    # The parser's own get_event until it returns None, without yaml.parse's generator and its
    # check_event call per event (a sixth of the loading time).
    events = iter(Loader(text).get_event, None)
    ScalarEvent = yaml.ScalarEvent
    max_nodes = limits.max_yaml_nodes
    for ev in events:
        if type(ev) is ScalarEvent and ev.tag is None and not ev.anchor and stack:
            # The fast path for most events: an untagged scalar inside a mapping or a list,
            # the same steps as `_Builder.attach`, inlined (this loop runs once per YAML node).
            s, e = ev.start_mark, ev.end_mark
            span = (s.line + 1, s.column + 1, e.line + 1, e.column + 1)
            plain = not ev.style and ev.implicit[0]
            frame = stack[-1]
            container = frame[0]
            frame[4] += 1
            total += 1
            is_map = type(container) is PosDict
            if is_map and frame[2] is _NO_KEY:  # a key: always its text
                frame[2], frame[3] = ev.value, span
                frame[6] = plain and ev.value == "<<"
            else:
                if plain:
                    value, trap = _plain_scalar(ev.value)
                    if trap:
                        diags.append(Diagnostic("NS008", trap, *span))
                else:
                    value = ev.value
                if not is_map:
                    container.append(value)
                    container.spans.append(span)
                else:
                    key = frame[2]
                    frame[2], frame[6] = _NO_KEY, False
                    if key is _BAD_KEY:
                        pass
                    elif key in container and key not in frame[7]:
                        diags.append(_duplicate_key(container, key, frame[3]))
                    else:
                        container[key] = value
                        container.spans[key] = (frame[3], span)
                        if frame[7]:
                            frame[7].discard(key)
            if total > max_nodes:
                diags.append(Diagnostic("NS011", f"the document has more than {max_nodes:,} nodes; "
                                        "raise the limit with --max-yaml-nodes", *span))
                raise _StopDocument
            continue
        kind = type(ev).__name__
        if kind == "ScalarEvent":
            total += builder.scalar(ev)
        elif kind in ("MappingStartEvent", "SequenceStartEvent"):
            total += builder.start(ev, kind == "MappingStartEvent")
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            builder.end(ev)
        elif kind == "AliasEvent":
            total += builder.alias(ev, total)
        elif kind == "DocumentStartEvent":
            builder.document_start(ev)
        if total > max_nodes:
            diags.append(Diagnostic("NS011", f"the document has more than {max_nodes:,} nodes; "
                                    "raise the limit with --max-yaml-nodes", *_span(ev)))
            raise _StopDocument


class _StopDocument(Exception):
    """A diagnostic ended the document (a limit, a second document, an unknown alias)."""


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NO_KEY = _Marker("<no key>")
_BAD_KEY = _Marker("<bad key>")


class _Builder:
    """The values of one document under construction, from every event but the inline common one.

    `stack` holds a frame per open mapping or list: [container, span of its start, pending key,
    that key's span, expanded node count, anchor, pending key is a plain `<<`, keys merged by `<<`].
    Each event method returns how many nodes it added (an alias: its expanded size).
    """

    __slots__ = ("diags", "limits", "stack", "anchors", "root", "documents")

    def __init__(self, diags: list, limits: Limits) -> None:
        self.diags = diags
        self.limits = limits
        self.stack: list[list] = []
        self.anchors: dict[str, tuple[object, int]] = {}  # anchor -> (value, expanded node count)
        self.root = None
        self.documents = 0

    def attach(self, value, span: Span, size: int) -> None:
        """Put a finished value into its parent (or make it the root)."""
        stack = self.stack
        if not stack:
            self.root = value
            return
        frame = stack[-1]
        container = frame[0]
        frame[4] += size
        if isinstance(container, PosList):
            container.append(value)
            container.spans.append(span)
            return
        # mapping: either this is a key, or the value for the pending key
        if frame[2] is _NO_KEY:
            if isinstance(value, (PosDict, PosList)) or value is None:
                self.diags.append(Diagnostic("NS013", "a mapping key must be a plain string", *span))
                frame[2], frame[3] = _BAD_KEY, span
                return
            frame[2], frame[3] = (value if isinstance(value, str) else str(value)), span
            return
        key, kspan = frame[2], frame[3]
        frame[2] = _NO_KEY
        if key is _BAD_KEY:
            return
        if key == "<<" and frame[6] and isinstance(value, (PosDict, PosList)):
            # YAML merge key: copy absent keys from the merged mapping(s), keeping their spans.
            for src in (value if isinstance(value, PosList) else [value]):
                if isinstance(src, PosDict):
                    for k, v in src.items():
                        if k not in container:
                            container[k] = v
                            container.spans[k] = src.spans.get(k, (kspan, span))
                            frame[7].add(k)
            return
        if key in container and key not in frame[7]:
            self.diags.append(_duplicate_key(container, key, kspan))
            return
        container[key] = value
        container.spans[key] = (kspan, span)
        frame[7].discard(key)

    def pending_key(self) -> bool:
        """Whether the next value completes a key (the innermost container is a mapping awaiting one)."""
        stack = self.stack
        return bool(stack) and isinstance(stack[-1][0], PosDict) and stack[-1][2] is _NO_KEY

    def scalar(self, ev) -> int:
        """A scalar with a tag or an anchor, a quoted or plain key, or the document's only value."""
        tag = ev.tag
        plain = ev.style in (None, "") and ev.implicit[0]
        span = _span(ev)
        is_key = self.pending_key()
        if tag and tag != "!" and tag not in _ALLOWED_TAGS:
            self.diags.append(Diagnostic("NS004", f"YAML tag `{_short_tag(tag)}` is not allowed: a spec is "
                                         "plain data and netspec never constructs objects from tags", *span))
            value = None
        elif tag == _STD + "str" or not plain or is_key:
            value = ev.value
            if tag and tag != "!" and tag != _STD + "str":
                value, _ = _plain_scalar(ev.value)
        else:
            value, trap = _plain_scalar(ev.value)
            if trap:
                self.diags.append(Diagnostic("NS008", trap, *span))
        if ev.anchor:
            self.anchors[ev.anchor] = (value, 1)
        self.attach(value, span, 1)
        stack = self.stack
        if stack and isinstance(stack[-1][0], PosDict):  # remember whether a pending key is a plain `<<`
            frame = stack[-1]
            frame[6] = frame[2] == "<<" and plain if frame[2] is not _NO_KEY else False
        return 1

    def start(self, ev, mapping: bool) -> int:
        """Open a mapping or a list (NS004 for a tag, NS012 past --max-depth)."""
        span = _span(ev)
        if ev.tag and ev.tag != "!" and ev.tag not in _ALLOWED_TAGS:
            self.diags.append(Diagnostic("NS004", f"YAML tag `{_short_tag(ev.tag)}` is not allowed: a spec is "
                                         "plain data and netspec never constructs objects from tags", *span))
        if len(self.stack) >= self.limits.max_depth:
            self.diags.append(Diagnostic("NS012", f"mappings and lists are nested more than {self.limits.max_depth} "
                                         "deep (raise the limit with --max-depth)", *span))
            raise _StopDocument
        container = PosDict(span) if mapping else PosList(span)
        self.stack.append([container, span, _NO_KEY, None, 1, ev.anchor, False, set()])
        return 1

    def end(self, ev) -> None:
        """Close the innermost mapping or list and attach it to its parent."""
        frame = self.stack.pop()
        container = frame[0]
        s = frame[1]
        container.span = (s[0], s[1], ev.end_mark.line + 1, ev.end_mark.column + 1)
        if frame[5]:
            self.anchors[frame[5]] = (container, frame[4])
        self.attach(container, container.span, frame[4])

    def alias(self, ev, total: int) -> int:
        """The anchored value again, shared, counted at its expanded size (NS011 past the limit)."""
        span = _span(ev)
        if ev.anchor not in self.anchors:
            self.diags.append(Diagnostic("NS002", f"alias *{ev.anchor} refers to no anchor", *span))
            raise _StopDocument
        value, size = self.anchors[ev.anchor]
        if total + size > self.limits.max_yaml_nodes:
            self.diags.append(Diagnostic("NS011", f"YAML aliases expand to more than "
                                         f"{self.limits.max_yaml_nodes:,} nodes (a 'billion laughs' document?); "
                                         "raise the limit with --max-yaml-nodes", *span))
            raise _StopDocument
        is_key = self.pending_key()
        self.attach(value, span, size)
        if self.stack and is_key:
            self.stack[-1][6] = False
        return size

    def document_start(self, ev) -> None:
        """NS009 at a second document: a spec file holds one."""
        self.documents += 1
        if self.documents > 1:
            self.diags.append(Diagnostic("NS009", "a second YAML document starts here; a spec file holds one "
                                         "document", *_span(ev)))
            raise _StopDocument


def _duplicate_key(container: PosDict, key: str, span: Span) -> Diagnostic:
    """NS003 at the second occurrence of `key`, naming the line of the first."""
    first = container.spans[key][0]
    return Diagnostic("NS003", f"duplicate key `{key}` (first defined at line {first[0]}); "
                      "YAML would silently keep the last one", *span)


# Line breaks as YAML 1.2 and every editor count them. YAML 1.1 (PyYAML, libyaml) also breaks lines
# at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which load_text refuses, so the two agree.
_LINE_BREAK = re.compile("\r\n|\r|\n")
_YAML11_BREAK = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def text_position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column in characters) of text[index]; a leading BOM is no column."""
    line, start = 1, 0
    for m in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, m.end()
    col = index - start + 1
    if start == 0 and text.startswith("\ufeff"):
        col -= 1
    return line, max(col, 1)


def _error_position(text: str, exc) -> tuple[int, int]:
    """Where a YAML syntax error is, always inside the file: an error at the end of the stream
    (an unclosed `[`, a missing value) points at what was left open, or else at the end of the
    last line that has text, not at a line after the last one."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, 1
    line, col = mark.line + 1, mark.column + 1
    lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
    inside = line <= len(lines) and col <= len(lines[line - 1]) + 1 and lines[line - 1:] != [""] * (len(lines) - line + 1)
    if inside:
        return line, col
    context = exc.context_mark
    if context is not None and context is not mark and context.line < len(lines):
        return context.line + 1, context.column + 1
    last = max((i for i, ln in enumerate(lines) if ln.strip()), default=0)
    return last + 1, len(lines[last]) + 1


def _reader_position(text: str, position, in_bytes: bool) -> tuple[int, int]:
    """1-based (line, column) of a reader error's offset (in UTF-8 bytes for libyaml, else characters)."""
    if not isinstance(position, int) or position < 0:
        return 1, 1
    if in_bytes:
        position = len(text.encode("utf-8")[:position].decode("utf-8", "replace"))
    return text_position(text, position)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag


def read_text(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str | None, Diagnostic | None]:
    """Read a spec file as UTF-8 text; an unreadable file is an NS001 (exit 2), bad bytes NS007."""
    raw, problem = read_bytes(path, limits)
    if problem is not None:
        return None, problem
    return decode_spec(raw, limits, "the file")


def read_bytes(path: str, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes | None, Diagnostic | None]:
    """The bytes of a regular file (at most `max_file_size` + 1 of them), else NS001 (unreadable:
    exit 2) or NS010. A FIFO, a terminal or a socket could block the read forever, /dev/zero never
    ends, and a /proc or /sys file says size 0 whatever it holds: none of them is read."""
    import os
    import stat

    # NS001 is about the whole file; it still gets line 1, column 1 so that every diagnostic reads
    # `file:line:col: error[NSxxx] ...` for editors and CI problem matchers.
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return None, Diagnostic("NS001", f"{path} is a directory, not a spec file", 1, 1)
        if not stat.S_ISREG(st.st_mode):
            return None, Diagnostic("NS001", f"{path} is not a regular file (a device, FIFO or socket)", 1, 1)
        if os.path.realpath(path).startswith(("/proc/", "/sys/")):
            return None, Diagnostic("NS001", f"{path} is a kernel pseudo-file (/proc, /sys), not a spec file", 1, 1)
        if st.st_size > limits.max_file_size:
            return None, Diagnostic("NS010", f"the file is {st.st_size:,} bytes, over the limit of "
                                    f"{limits.max_file_size:,} (raise it with --max-file-size)", 1, 1)
        with open(path, "rb") as fh:
            return fh.read(limits.max_file_size + 1), None
    except FileNotFoundError:
        if os.path.islink(path):
            return None, Diagnostic("NS001", f"{path} is a dangling symlink (to {os.readlink(path)}, which does not "
                                    "exist)", 1, 1)
        return None, Diagnostic("NS001", f"no such file: {path}", 1, 1)
    except PermissionError:
        return None, Diagnostic("NS001", f"permission denied: {path}", 1, 1)
    except OSError as exc:
        return None, Diagnostic("NS001", f"cannot read {path}: {exc.strerror or exc}", 1, 1)
    except ValueError as exc:  # a path with a NUL character
        return None, Diagnostic("NS001", f"cannot read {path!r}: {exc}", 1, 1)


def decode_spec(raw: bytes, limits: Limits = DEFAULT_LIMITS, what: str = "the input") -> tuple[str | None, Diagnostic | None]:
    """Bytes of a spec (a file's, standard input's, a git revision's) as text: NS010 over the size
    limit, NS007 at the first byte that is not UTF-8 (line and column in characters)."""
    if len(raw) > limits.max_file_size:
        return None, Diagnostic("NS010", f"{what} is over the limit of {limits.max_file_size:,} bytes "
                                "(raise it with --max-file-size)", 1, 1)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = raw[:exc.start].decode("utf-8", "replace")  # valid up to the bad byte
        line, col = text_position(before, len(before))
        return None, Diagnostic("NS007", f"{what} is not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                                line, col)


def load_file(path: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    text, problem = read_text(path, limits)
    if problem is not None:
        return Loaded(diagnostics=[problem])
    return load_text(text, limits)
