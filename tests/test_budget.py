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
    assert r.out.splitlines()[0] == (f"{path}:2:1: error[NS301] total MACCs 18.4K exceed the budget 10.0K by 8.43K "
                                     f"(84.3%) [budget at {path}:7:3]")


def test_policy_file_overrides_spec(cli, write):
    path = write("small.yaml", SPEC)
    team = write("team.yaml", "budget:\n  maccs: 20K\n")
    r = cli("check", path, "--budget-file", team)
    assert r.code == 0, r.out
    assert "maccs 18.4K / 20.0K (92%)" in r.out  # headroom shown within budget: 18,432 / 20,000


def test_flags_override_file_and_spec(cli, write):
    path = write("small.yaml", SPEC)
    team = write("team.yaml", "budget:\n  maccs: 20K\n")
    r = cli("check", path, "--budget-file", team, "--max-maccs", "15K")
    assert r.code == 1
    # 18,432 - 15,000 = 3,432 -> 3.4K; 22.9 %
    assert (f"{path}:2:1: error[NS301] total MACCs 18.4K exceed the budget 15.0K by 3.43K (22.9%) "
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
                                     f"16.0K by 2.43K (15.2%) [budget at {path}:7:15]")


def test_bytes_budget_uses_iec_units(cli, write):
    # peak activation memory: the 8x8x4 input and the 8x8x8 output live together: (256 + 512) * 4 B = 3,072 B
    path = write("small.yaml", SPEC.replace("maccs: 10K", "peak_activation_memory: 2KiB"))
    r = cli("check", path)
    assert r.code == 1
    assert "peak activation memory 3.00 KiB exceeds the budget 2.00 KiB by 1.00 KiB (50.0%)" in r.out


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


PEAK = """\
netspec: 1
name: peak
input: {height: 224, width: 224, channels: 10}
layers:
  - {name: c1, type: conv, filters: 10, kernel: 1}
budget: {peak_activation_memory: LIMIT}
"""


def test_byte_budget_both_sides_in_the_unit_the_limit_was_written_in(cli, write):
    # input and output live together: 2 * 224*224*10 * 4 B = 4,014,080 B = 4.01 MB = 3.83 MiB.
    # "3.8 MiB exceeds the budget 4M" read like a pass: an SI limit shows both sides in MB.
    r = cli("check", write("p.yaml", PEAK.replace("LIMIT", "4M")))
    assert r.code == 1
    assert "peak activation memory 4.01 MB exceeds the budget 4.00 MB by 14.1 KB (0.4%)" in r.out
    r = cli("check", write("p.yaml", PEAK.replace("LIMIT", "3.5MiB")))  # 3,670,016 B
    assert "peak activation memory 3.83 MiB exceeds the budget 3.50 MiB by 336 KiB (9.4%)" in r.out
    # one byte over: three digits would print "3.83 MiB exceeds the budget 3.83 MiB", so both are exact
    r = cli("check", write("p.yaml", PEAK.replace("LIMIT", "4014079")))
    assert "peak activation memory 4,014,080 B exceeds the budget 4,014,079 B by 1 B (<0.01%)" in r.out
    r = cli("check", write("p.yaml", PEAK.replace("LIMIT", "5MB")))
    assert r.code == 0 and "budget peak_activation_memory 4.01 MB / 5.00 MB (80%)" in r.out
