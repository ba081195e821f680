"""Helpers for tests that read a JSON report: strict parsing and the values of one kind in it."""

from __future__ import annotations

import json


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON."""

    def refuse(token: str):
        raise AssertionError(f"the report holds {token}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


def values(doc, kind: type):
    """Every value of `kind` in a parsed JSON document (bools are not ints here)."""
    if isinstance(doc, kind) and not (kind is int and isinstance(doc, bool)):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from values(v, kind)
    elif isinstance(doc, list):
        for v in doc:
            yield from values(v, kind)
