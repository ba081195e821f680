"""SARIF 2.1.0 for GitHub code scanning: the code registry as the tool's rules, one result per
diagnostic with a repo-relative path and a region."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import __version__
from ..diagnostics import CODES
from .escape import json_text, uri_path

LEVEL = {"error": "error", "warning": "warning"}


def relative_uri(path: str) -> str:
    """Paths relative to the working directory (the repository root in CI), with forward slashes,
    percent-encoded as a URI reference."""
    p = Path(path)
    try:
        p = p.resolve().relative_to(Path(os.getcwd()).resolve())
    except (ValueError, OSError):
        pass
    return uri_path(p.as_posix())


def rules() -> list[dict]:
    return [{
        "id": c.code,
        "name": "".join(part.capitalize() for part in c.name.split("-")),
        "shortDescription": {"text": c.name},
        "fullDescription": {"text": c.summary + (" " + c.doc if c.doc else "")},
        "defaultConfiguration": {"level": LEVEL[c.severity]},
        "help": {"text": f"{c.summary} Run `netspec explain {c.code}`."},
    } for c in CODES.values()]


def result(d, index: dict) -> dict:
    location = {"artifactLocation": {"uri": relative_uri(d.file), "uriBaseId": "%SRCROOT%"}}
    if d.line:
        region = {"startLine": d.line, "startColumn": max(d.column, 1)}
        if d.end_line:
            region["endLine"] = d.end_line
            region["endColumn"] = max(d.end_column or 1, 1)
        location["region"] = region
    return {"ruleId": d.code, "ruleIndex": index[d.code], "level": LEVEL.get(d.severity, "note"),
            "message": {"text": json_text(d.message)}, "locations": [{"physicalLocation": location}]}


def render(report) -> str:
    index = {code: i for i, code in enumerate(CODES)}
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "netspec", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/netspec/netspec", "rules": rules()}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).resolve().as_uri() + "/"}},
            "results": [result(d, index) for r in report.results for d in r.diagnostics],
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
