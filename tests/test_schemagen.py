"""The committed schema is what the op registry generates: each op is declared once, in ops/.

`$defs/layer_<type>`, the `$defs/layer` dispatcher and `$defs/activation` in
schema/netspec.schema.json are generated from the registry by `python -m netspec.schemagen
--write`; these tests fail when the committed file was edited by hand or an op changed without
regenerating it, and say the command that fixes it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netspec import schemagen
from netspec.ops import REGISTRY
from netspec.ops.base import REQUIRED
from netspec.resources import schema_text

REPO = Path(__file__).resolve().parent.parent


def test_the_committed_schema_is_what_the_registry_generates():
    committed = schema_text()
    if schemagen.generate(committed) != committed:
        pytest.fail(f"schema/netspec.schema.json differs from what the op registry generates; "
                    f"regenerate it with: {schemagen.COMMAND}", pytrace=False)


def test_the_formatting_is_stable():
    committed = schema_text()
    assert schemagen.dumps(json.loads(committed)) + "\n" == committed
    assert schemagen.generate(schemagen.generate(committed)) == schemagen.generate(committed)


def test_each_registered_op_has_its_def_from_its_declaration():
    defs = json.loads(schema_text())["$defs"]
    assert [b["then"]["$ref"] for b in defs["layer"]["allOf"][:-1]] == [f"#/$defs/layer_{t}" for t in REGISTRY]
    assert defs["activation"]["enum"] == [t for t, op in REGISTRY.items() if op.is_activation]
    for t, op in REGISTRY.items():
        d = defs[f"layer_{t}"]
        assert d["description"] == op.doc and op.doc, t
        for attr in op.attrs:
            assert d["properties"][attr.name]["description"] == attr.doc and attr.doc, (t, attr.name)
            assert (attr.name in d["required"]) == (attr.default is REQUIRED), (t, attr.name)


def test_a_changed_declaration_makes_the_check_fail(tmp_path, monkeypatch):
    """Change an op's one-line doc: the committed file is now stale, and --check says how to fix it."""
    stale = tmp_path / "netspec.schema.json"
    stale.write_text(schema_text(), encoding="utf-8")
    monkeypatch.setattr(REGISTRY["relu"], "doc", "Rectified linear unit.")
    assert schemagen.main(["--check", str(stale)]) == 1
    assert schemagen.main(["--write", str(stale)]) == 0
    assert json.loads(stale.read_text())["$defs"]["layer_relu"]["description"] == "Rectified linear unit."
    assert schemagen.main(["--check", str(stale)]) == 0


def test_the_command_line(tmp_path):
    hand_edited = tmp_path / "netspec.schema.json"
    data = json.loads(schema_text())
    data["$defs"]["layer_conv"]["properties"]["filters"]["description"] = "edited by hand"
    hand_edited.write_text(json.dumps(data), encoding="utf-8")
    run = [sys.executable, "-m", "netspec.schemagen"]
    out = subprocess.run([*run, "--check", str(hand_edited)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "python -m netspec.schemagen --write" in out.stderr
    assert subprocess.run([*run, "--write", str(hand_edited)], cwd=REPO, capture_output=True, text=True,
                          timeout=60).returncode == 0
    assert hand_edited.read_text(encoding="utf-8") == schema_text()
    usage = subprocess.run([*run, "--bogus"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage:" in usage.stderr and "Traceback" not in usage.stderr
    missing = subprocess.run([*run, "--check", str(tmp_path / "nope.json")], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
