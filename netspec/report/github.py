"""GitHub Actions: workflow commands that annotate the pull request, then the plain text report;
the markdown report is appended to $GITHUB_STEP_SUMMARY when that variable is set."""

from __future__ import annotations

import os

from . import markdown, text

LEVEL = {"error": "error", "warning": "warning"}


def escape_data(s: str) -> str:
    """The message part: % CR LF are escaped (GitHub's toolkit `escapeData`)."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    """Property values also escape `:` and `,` (GitHub's toolkit `escapeProperty`)."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _no_escapes(s: str) -> str:
    """Control characters other than CR/LF (which escape_data encodes) shown as \\x1b etc., so text
    from a spec cannot send terminal escapes into a CI log."""
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() or c in "\r\n" else repr(c)[1:-1] for c in s)


def command(d) -> str:
    props = [f"file={escape_property(_no_escapes(d.file))}"]
    if d.line:
        props.append(f"line={d.line}")
        props.append(f"col={d.column}")
        if d.end_line:
            props.append(f"endLine={d.end_line}")
            props.append(f"endColumn={d.end_column}")
    props.append(f"title={escape_property(f'netspec {d.code} {d.name}')}")
    return f"::{LEVEL.get(d.severity, 'notice')} {','.join(props)}::{escape_data(_no_escapes(d.message))}"


def render(report) -> str:
    lines = [command(d) for r in report.results for d in r.diagnostics]
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(markdown.render(report) + "\n")
        except OSError:
            pass
    plain = text.render(report)
    return "\n".join(lines) + ("\n" if lines else "") + plain
