"""GitHub Actions: workflow commands that annotate the pull request, then the plain text report;
the markdown report is appended to $GITHUB_STEP_SUMMARY when that variable is set.

The plain text follows `::stop-commands::TOKEN` (TOKEN is a hash of that text, so no text can
contain it) and ends with `::TOKEN::`: GitHub's documented way to print untrusted text, so nothing
a spec or a file name holds is ever run as a workflow command.
"""

from __future__ import annotations

import hashlib
import os

from . import markdown, text
from .escape import github_message, github_property

LEVEL = {"error": "error", "warning": "warning"}


def command(d) -> str:
    props = [f"file={github_property(d.file)}"]
    if d.line:
        props.append(f"line={d.line}")
        props.append(f"col={d.column}")
        if d.end_line:
            props.append(f"endLine={d.end_line}")
            props.append(f"endColumn={d.end_column}")
    props.append(f"title={github_property(f'netspec {d.code} {d.name}')}")
    return f"::{LEVEL.get(d.severity, 'notice')} {','.join(props)}::{github_message(d.message)}"


def inert(plain: str) -> str:
    """`plain` between stop-commands and its resume line (nothing when there is no text)."""
    if not plain:
        return ""
    token = hashlib.sha256(plain.encode("utf-8", "backslashreplace")).hexdigest()[:32]
    return f"::stop-commands::{token}\n{plain}::{token}::\n"


def render(report) -> str:
    lines = [command(d) for r in report.results for d in r.diagnostics]
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(markdown.render(report) + "\n")
        except (OSError, ValueError):  # no summary rather than no annotations
            pass
    return "\n".join(lines) + ("\n" if lines else "") + inert(text.render(report))
