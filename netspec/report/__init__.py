"""Reporters, one module per output format, in a registry keyed by the format's name.

A reporter is a function `render(report: Report) -> str` (or an iterator of pieces of it, for a
report streamed to its file: JSON, HTML); it only formats what the pipeline
computed. Adding a format: a module with `render`, one line in FORMATS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

FORMATS = {
    "text": "text",
    "json": "json_report",
    "markdown": "markdown",
    "csv": "csv_report",
    "github": "github",
    "sarif": "sarif",
    "html": "html",
    "mermaid": "mermaid",
}


@dataclass(slots=True)
class Report:
    results: list  # netspec.pipeline.FileResult
    layers: bool = False  # show the per-layer table
    depth: int | None = None  # fold block calls nested deeper than this into subtotal rows
    quiet: bool = False
    strict: bool = False
    color: bool = False


def render(fmt: str, report: Report) -> str:
    module = import_module(f".{FORMATS[fmt]}", __name__)
    return module.render(report)
