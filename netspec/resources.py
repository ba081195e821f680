"""Where the JSON Schema lives: inside the installed package, or at the repo's schema/ in a checkout.

schema/netspec.schema.json is the single source; the wheel carries a copy as package data.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "netspec.schema.json", _HERE.parent / "schema" / "netspec.schema.json")


def schema_path() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("netspec.schema.json is missing from the installation")


def schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(schema_text())
