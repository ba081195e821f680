"""Budgets: precedence (spec < policy file < flags), exact messages, headroom, policy-file errors.

The spec below is small enough to count by hand: an 8x8x4 input, a 3x3 conv to 8 filters with bias
and `same` padding -> params 3*3*4*8 + 8 = 296, MACCs 8*8*8 * (3*3*4) = 18,432.
"""

from __future__ import annotations

SPEC = """\
netspec: 1
name: small
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 8, kernel: 3}
budget:
  maccs: 10K
"""


def test_spec_budget_violation_message_exact(cli, write):
    path = write("small.yaml", SPEC)
    r = cli("check", path)
    assert r.code == 1
    # 18,432 - 10,000 = 8,432 -> 8.4K; 8,432 / 10,000 = 84.3 %. Anchored at `name:` (2:1), budget key at 7:3.
    assert r.out.splitlines()[0] == (f"{path}:2:1: error[NS301] total MACCs 18.4K exceed the budget 10K by 8.4K "
                                     f"(84.3%) [budget at {path}:7:3]")


def test_policy_file_overrides_spec(cli, write):
    path = write("small.yaml", SPEC)
    team = write("team.yaml", "budget:\n  maccs: 20K\n")
    r = cli("check", path, "--budget-file", team)
    assert r.code == 0, r.out
    assert "maccs 18.4K / 20K (92%)" in r.out  # headroom shown within budget: 18,432 / 20,000


def test_flags_override_file_and_spec(cli, write):
    path = write("small.yaml", SPEC)
    team = write("team.yaml", "budget:\n  maccs: 20K\n")
    r = cli("check", path, "--budget-file", team, "--max-maccs", "15K")
    assert r.code == 1
    # 18,432 - 15,000 = 3,432 -> 3.4K; 22.9 %
    assert (f"{path}:2:1: error[NS301] total MACCs 18.4K exceed the budget 15K by 3.4K (22.9%) "
            "[budget at --max-maccs]") in r.out


def test_policy_keyed_by_spec_name_and_glob(cli, write):
    path = write("small.yaml", SPEC.replace("budget:\n  maccs: 10K\n", ""))
    team = write("team.yaml", "budget:\n  params: 1M\nspecs:\n  sm*:\n    params: 200\n  other: {params: 1}\n")
    r = cli("check", path, "--budget-file", team)
    assert r.code == 1
    # 296 params against 200 from the `sm*` entry (line 5, column 5 of team.yaml): +96, 48.0 %
    assert f"total params 296 exceed the budget 200 by 96 (48.0%) [budget at {team}:5:5]" in r.out


def test_per_layer_budget_points_at_layer(cli, write):
    spec = SPEC.replace("  maccs: 10K\n", "  per_layer: {maccs: 16K}\n")
    path = write("small.yaml", spec)
    r = cli("check", path)
    assert r.code == 1
    # the layer mapping starts at line 5, column 5; 18,432 - 16,000 = 2,432 -> 2.4K, 15.2 %
    assert r.out.splitlines()[0] == (f"{path}:5:5: error[NS302] layer c1: MACCs 18.4K exceed the per-layer budget "
                                     f"16K by 2.4K (15.2%) [budget at {path}:7:15]")


def test_bytes_budget_uses_iec_units(cli, write):
    # peak activation memory: the 8x8x4 input and the 8x8x8 output live together: (256 + 512) * 4 B = 3,072 B
    path = write("small.yaml", SPEC.replace("maccs: 10K", "peak_activation_memory: 2KiB"))
    r = cli("check", path)
    assert r.code == 1
    assert "peak activation memory 3.0 KiB exceeds the budget 2KiB by 1.0 KiB (50.0%)" in r.out


def test_misspelled_budget_key_in_spec_is_schema_error(cli, write):
    path = write("small.yaml", SPEC.replace("maccs: 10K", "macs: 10K"))
    r = cli("check", path)
    assert r.code == 1
    assert f"{path}:7:3: error[NS101]" in r.out


def test_misspelled_budget_key_in_policy_file_is_usage_error(cli, write):
    path = write("small.yaml", SPEC)
    team = write("team.yaml", "budget:\n  macs: 20K\n")
    r = cli("check", path, "--budget-file", team)
    assert r.code == 2
    assert f"{team}:2:3: [NS303] unknown budget key `macs` (did you mean `maccs`?)" in r.err


def test_bad_flag_quantity_is_usage_error(cli, write):
    path = write("small.yaml", SPEC)
    r = cli("check", path, "--max-maccs", "4.2Q")
    assert r.code == 2
    assert "--max-maccs" in r.err


def test_exit_zero_and_json_budget_status(cli, write):
    import json

    path = write("small.yaml", SPEC)
    r = cli("check", path, "--exit-zero", "-f", "json")
    assert r.code == 0
    status = json.loads(r.out)["files"][0]["network"]["budget"]
    assert status == [{"key": "maccs", "per_layer": False, "limit": 10000, "limit_text": "10K",
                       "origin": f"{path}:7:3", "actual": 18432, "layer": None, "ok": False}]
