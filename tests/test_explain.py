"""`netspec explain` (issue 13, item 11): why a code fires, a minimal bad example, the fix; codes or
kebab-case names, several at once. Every spec example is checked: it must produce its own code."""

from __future__ import annotations

import pytest

from netspec.diagnostics import CODES
from netspec.explain import EXAMPLES
from netspec.pipeline import check_text


def test_every_code_has_an_example_and_a_fix():
    assert set(EXAMPLES) == set(CODES)
    for code, (example, fix) in EXAMPLES.items():
        assert fix, code
        assert example or code == "NS000", code  # an internal error has no example by design


SPEC_EXAMPLES = [c for c, (ex, _) in EXAMPLES.items() if ex and not ex.startswith("$")]


@pytest.mark.parametrize("code", SPEC_EXAMPLES)
def test_the_bad_example_produces_its_code(code):
    result = check_text(EXAMPLES[code][0])
    assert code in {d.code for d in result.diagnostics}, [(d.code, d.message) for d in result.diagnostics]


def test_explain_by_code_and_by_name_and_several(cli):
    r = cli("explain", "NS203", "channels-not-multiple-of-8")
    assert r.code == 0
    first, second = r.out.split("\n\nNS401 ")
    assert first.startswith("NS203 shape-mismatch (error)\n\nShapes do not fit together: the inputs of "
                            "add/multiply/concat")
    assert "Example:\n\n    netspec: 1\n" in first and "      - {type: add, inputs: [a, b]}" in first
    assert "\nFix: Make the inputs agree" in first
    assert second.startswith("channels-not-multiple-of-8 (warning)")
    assert cli("explain", "Shape_Mismatch").out == cli("explain", "ns203").out
    bad = cli("explain", "NS203", "no-such-rule")
    assert bad.code == 2 and "no such code 'no-such-rule'" in bad.err and bad.out == ""
