"""Helpers for tests of inline specs: check one (with `--set`-style overrides), require it clean,
and find where a YAML node starts in the text (the 1-based line and column a diagnostic names)."""

from __future__ import annotations

from netspec.pipeline import Options, check_text


def run(text: str, **overrides):
    return check_text(text, options=Options(overrides=overrides))


def ok(text: str, **overrides):
    r = run(text, **overrides)
    assert r.ok, [(d.line, d.column, d.code, d.message) for d in r.diagnostics]
    return r


def at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the `occurrence`-th place `needle` starts in `text`."""
    pos = -1
    for _ in range(occurrence):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
