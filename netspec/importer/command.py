"""What `netspec import` does: read (a file, or a PyTorch factory exported in memory), map, check the
result with netspec itself, optionally fold blocks, and write the spec. Returns the exit status.

Never wrong silently: every node netspec cannot express is printed (all of them) and nothing is
written, unless --allow-partial, which writes each gap as an `identity` with a `note:` and still
exits 1. The written spec is checked by the pipeline before it is written: each layer's shape must
be the one ONNX's shape inference gives its node, and a `--blocks` spec must count exactly what
the flat one counts.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

from . import ImportFailure, Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _say(message: str) -> None:
    """One line on stderr: node names, op types and paths come from the model file or the command
    line, so they are shown escaped (report/escape.py), never as raw control characters."""
    from ..report.escape import visible

    print(visible(message), file=sys.stderr)


def spec_name(explicit: str | None, output: str | None, graph_name: str, source: str) -> str:
    raw = explicit or (os.path.splitext(os.path.basename(output))[0] if output and output != "-" else "") \
        or graph_name or os.path.splitext(os.path.basename(source))[0]
    name = re.sub(r"[^a-z0-9_.-]+", "_", raw.lower()).strip("_") or "imported"
    return name


def load_model(source: str | None, torch_factory: str | None, input_shape: str | None, max_file_size: int):
    """The ModelProto to import, from a file or from `package.module:factory`."""
    from .onnx_model import parse, read_file

    if torch_factory:
        from .from_torch import export_factory

        return parse(export_factory(torch_factory, input_shape))
    return read_file(source, max_file_size)


def build_spec(model, name: str | None, output: str | None, source: str, blocks: bool, allow_partial: bool):
    """(spec text, summary, problems, fatal): the spec is None when nothing may be written."""
    from ..pipeline import check_text
    from .emit import entries, spec_text
    from .mapping import map_graph
    from .onnx_model import prepare

    g, problems = prepare(model)
    if problems:
        return None, None, problems, True
    m = map_graph(g)
    if m.unbridgeable:
        extra = [Problem(f"--allow-partial cannot bridge the gap at {p.node!r}: its output shape differs from its "
                         "input's, and netspec has no layer of that shape") for p in m.unbridgeable]
        return None, None, m.problems + (extra if allow_partial else []), True
    if m.problems and (not allow_partial or not hasattr(m, "output")):
        return None, None, m.problems, True
    net = spec_name(name, output, g.name, source)
    header = [f"Imported by `netspec import` from {os.path.basename(source)} ({len(model.graph.node)} ONNX nodes)."]
    if m.problems:
        header.append(f"PARTIAL: {len(m.problems)} node(s) could not be expressed; see the `note:`s.")
    flat = spec_text(net, header, m.input_shape, entries(m.layers), batch=g.input_shape[0], dtype=g.dtype)
    result = check_text(flat, f"<import of {source}>")
    mismatch = verify(result, m)
    if mismatch:
        return None, None, mismatch, True
    text, totals = flat, result.totals
    if blocks:
        from .blocks import fold_blocks

        folded = fold_blocks(m.layers)
        if folded is not None:
            block_defs, top = folded
            candidate = spec_text(net, header, m.input_shape, top, block_defs, batch=g.input_shape[0],
                                  dtype=g.dtype)
            again = check_text(candidate, f"<import of {source}>")
            if again.graph is not None and _same_counts(again, result):
                text = candidate
            else:
                _say("netspec: import: --blocks did not count exactly like the flat spec; writing the flat one")
    summary = (f"{len(m.layers)} layers from {len(model.graph.node)} ONNX nodes; params {totals.params:,}, "
               f"MACCs {totals.maccs:,}, output {'x'.join(map(str, m.output.shape))}")
    return text, summary, m.problems, False


def verify(result, m) -> list[Problem]:
    """The pipeline's verdict on the flat spec against ONNX: no error, every layer's shape as inferred."""
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors or result.graph is None:
        return [Problem("internal: the imported spec does not check: "
                        + "; ".join(f"{d.line}:{d.column} {d.code} {d.message}" for d in errors[:5]))]
    problems = []
    for layer in result.graph.layers:
        want = m.index.get(layer.name)
        if want is not None and tuple(layer.output) != tuple(want.shape):
            problems.append(Problem(f"internal: netspec infers {layer.output} for layer {layer.name!r}, ONNX "
                                    f"{want.shape}", want.nodes[0] if want.nodes else None, "?"))
    return problems


def _same_counts(a, b) -> bool:
    ta, tb = a.totals, b.totals
    return (ta.params, ta.maccs, ta.flops) == (tb.params, tb.maccs, tb.flops) and \
        a.graph.shape_of(a.graph.output_ref) == b.graph.shape_of(b.graph.output_ref)


def write_atomic(path: str, text: str) -> None:
    """Write next to the target and rename, so a failure never leaves half a spec."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".netspec-import-", suffix=".yaml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def import_command(source: str | None, output: str | None = None, torch_factory: str | None = None,
                   input_shape: str | None = None, blocks: bool = False, allow_partial: bool = False,
                   force: bool = False, name: str | None = None, max_file_size: int | None = None) -> int:
    """`netspec import`: 0 written, 1 nodes netspec cannot express (or a model it cannot read),
    2 a usage or set-up problem."""
    from .. import DISTRIBUTION

    if (source is None) == (torch_factory is None):
        _say("netspec: error: import takes an ONNX file or --torch package.module:factory (one of them)")
        return EXIT_USAGE
    label = source or torch_factory
    if output and output != "-":
        if source and os.path.exists(output) and os.path.samefile(output, source):
            _say(f"netspec: error: {output} is the model being imported; choose another -o")
            return EXIT_USAGE
        if os.path.exists(output) and not force:
            _say(f"netspec: error: {output} exists; use --force to overwrite it")
            return EXIT_USAGE
    try:
        import onnx  # noqa: F401
    except ImportError:
        _say(f"netspec: error: import needs the onnx package, which is not installed: "
             f"pip install '{DISTRIBUTION}[onnx]'")
        return EXIT_USAGE
    try:
        model = load_model(source, torch_factory, input_shape, max_file_size or 2 * 1024**3 - 1)
        text, summary, problems, fatal = build_spec(model, name, output, label, blocks, allow_partial)
    except ImportFailure as exc:
        for p in exc.problems:
            _say(p.render(label))
        return EXIT_USAGE if getattr(exc, "usage", False) else EXIT_PROBLEMS
    except MemoryError:
        _say(Problem("out of memory while reading the model (is it larger than this machine can hold?)").render(label))
        return EXIT_PROBLEMS
    except RecursionError:
        _say(Problem("the model is nested too deeply to read").render(label))
        return EXIT_PROBLEMS
    for p in problems:
        _say(p.render(label))
    if fatal or text is None:
        if problems and not fatal:
            pass
        _say(f"netspec: import: {len(problems)} problem(s); no spec written"
             + ("" if allow_partial else " (--allow-partial writes the rest, marking each gap with a note)"))
        return EXIT_PROBLEMS
    if output is None or output == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomic(output, text)
        except OSError as exc:
            _say(f"netspec: error: cannot write {output}: {exc.strerror or exc}")
            return EXIT_USAGE
    _say(f"{output or '<stdout>'}: {summary}" + (f"; {len(problems)} gap(s) marked with a note" if problems else ""))
    return EXIT_PROBLEMS if problems else EXIT_OK
