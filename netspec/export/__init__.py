"""Export a checked spec to a framework: `netspec export SPEC --to torch`.

Importing this package never imports a framework. `netspec.export.torch` turns a checked graph
into readable PyTorch source (`to_source`, plain text generation) or a live `torch.nn.Module`
(`build`, which imports torch). `netspec check` never comes here.
"""

from __future__ import annotations

import importlib.util
import sys

from .. import DISTRIBUTION

TARGETS = ("torch",)
INSTALL_HINT = {"torch": f"pip install '{DISTRIBUTION}[torch]'  (or: pip install torch)"}

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class ExportError(Exception):
    """The spec cannot be exported: it has errors (`diagnostics`), or an op has no mapping."""

    def __init__(self, message: str, diagnostics: list | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


def framework_available(target: str) -> bool:
    """Whether the target's framework can be imported, without importing it."""
    try:
        return importlib.util.find_spec(target) is not None
    except (ImportError, ValueError):  # a None entry in sys.modules, a broken parent package
        return False


def checked_graph(spec, overrides: dict | None = None):
    """The costed graph of a spec: a path, a netspec Graph, or a pipeline FileResult.

    Raises ExportError carrying the diagnostics when the spec cannot be expanded.
    """
    from ..graph import Graph
    from ..pipeline import FileResult, Options, check_path

    if isinstance(spec, Graph):
        return spec
    result = spec if isinstance(spec, FileResult) else check_path(str(spec), Options(overrides=dict(overrides or {})))
    if result.graph is None:
        errors = [d for d in result.diagnostics if d.severity == "error"] or result.diagnostics
        raise ExportError(f"{result.path}: the spec has errors; `netspec check` shows them", errors)
    return result.graph


def export_command(spec: str, to: str = "torch", output: str | None = None, overrides: dict | None = None) -> int:
    """What `netspec export` does; returns the exit status (0 written, 1 broken spec, 2 usage/setup)."""
    if to not in TARGETS:
        print(f"netspec: error: unknown export target {to!r}; choose one of {', '.join(TARGETS)}", file=sys.stderr)
        return EXIT_USAGE
    if not framework_available(to):
        print(f"netspec: error: export --to {to} needs PyTorch, which is not installed: {INSTALL_HINT[to]}",
              file=sys.stderr)
        return EXIT_USAGE
    from ..usage import UsageError
    from ..outfile import refuse_clash, write_output
    from ..pipeline import Options, check_path
    from ..report.text import diagnostic_line

    try:
        refuse_clash(output, [("spec", spec)])
    except UsageError:  # already printed
        return EXIT_USAGE
    result = check_path(spec, Options(overrides=dict(overrides or {})))
    if result.graph is None:
        shown = [d for d in result.diagnostics if d.severity == "error"] or result.diagnostics
        for d in shown:
            print(diagnostic_line(d), file=sys.stderr)
        return EXIT_USAGE if result.io_error else EXIT_PROBLEMS
    from .torch import to_source

    try:
        source = to_source(result.graph)
    except ExportError as exc:
        from ..report.escape import visible

        print(f"netspec: error: {visible(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        write_output(source, output)
    except UsageError:  # already printed
        return EXIT_USAGE
    if output is not None and output != "-":
        from ..report.escape import line_start, visible

        print(f"{line_start(output)}: PyTorch module for {visible(result.graph.name)} "
              f"({len(result.graph.layers)} layers)", file=sys.stderr)
    return EXIT_OK
