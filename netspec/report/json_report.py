"""JSON: the stable contract (`version: 1`), exact integers everywhere."""

from __future__ import annotations

import json

from .facts import file_dict


def render(report) -> str:
    return json.dumps({"version": 1, "files": [file_dict(r) for r in report.results]}, indent=2) + "\n"
