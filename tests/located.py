"""Helpers for tests of located diagnostics on inline specs: write a spec, find where a YAML node
starts, and assert a spec's one error by its code and (line, column)."""

from __future__ import annotations

import textwrap

from netspec.pipeline import check_text


def spec(layers: str, input_: str) -> str:
    """A spec whose `layers:` start on line 5 (`layers` is an indented YAML list)."""
    return f"netspec: 1\nname: t\ninput: {input_}\nlayers:\n" + textwrap.dedent(layers).lstrip("\n")


def at(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, column) of `needle` in `text`; of its value for a `key: value` needle (a
    needle starting with `{` is the layer's mapping)."""
    skip = needle.index(": ") + 2 if ": " in needle and not needle.startswith("{") else 0
    pos = text.index(needle) + skip
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def checked(text: str):
    """The check result of a spec that must have no error."""
    r = check_text(text)
    errors = [(d.line, d.column, d.code, d.message) for d in r.diagnostics if d.severity == "error"]
    assert not errors, errors
    return r


def error(text: str, needle: str, code: str) -> str:
    """The one error of `text`: its code, and its position at `needle`; returns the message."""
    r = check_text(text)
    errors = [d for d in r.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == [code], [(d.line, d.column, d.code, d.message) for d in errors]
    assert (errors[0].line, errors[0].column) == at(text, needle), errors[0].message
    return errors[0].message
