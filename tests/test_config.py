"""A team's defaults in `[tool.netspec]` (pyproject.toml) or `.netspec.yaml`, the command line over
them, and what a directory scan leaves out (issue 13, item 3)."""

from __future__ import annotations

import pytest

from netspec.config import compile_excludes, excluded

# 8x8x4 input; c1 = 3x3 conv to 6 filters (NS401: 6 is no multiple of 8), c2 = 1x1 conv to 8:
# MACCs 8*8*6*36 + 8*8*8*6 = 13,824 + 3,072 = 16,896
SPEC = """\
netspec: 1
name: small
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 6, kernel: 3}
  - {name: c2, type: conv, filters: 8, kernel: 1}
"""
TEAM = "budget: {maccs: 10K}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # the repository root: the search for a config stops here
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "small.yaml").write_text(SPEC)
    (tmp_path / "team.yaml").write_text(TEAM)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_pyproject_table_sets_budget_file_strict_and_ignore(cli, project):
    assert cli("check", "specs").code == 0  # no config: a warning only
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.netspec]\nbudget-file = "team.yaml"\n'
                                            'strict = true\n')
    r = cli("check", "specs")
    assert r.code == 1
    assert "error[NS301] total MACCs 16.9K exceed the budget 10.0K" in r.out
    assert f"[budget at {project / 'team.yaml'}:1:10]" in r.out
    assert "warning[NS401]" in r.out
    (project / "pyproject.toml").write_text('[tool.netspec]\nstrict = true\nignore = ["NS401"]\n')
    assert cli("check", "specs").code == 0


def test_command_line_overrides_the_file(cli, project):
    (project / ".netspec.yaml").write_text("budget-file: team.yaml\nstrict: true\n")
    (project / "loose.yaml").write_text("budget: {maccs: 20K}\n")
    assert cli("check", "specs").code == 1
    r = cli("check", "specs", "--budget-file", "loose.yaml", "--no-strict")
    assert r.code == 0 and "budget maccs 16.9K / 20.0K (84%)" in r.out
    assert cli("check", "specs", "--budget-file", "loose.yaml").code == 1  # still strict: NS401
    assert cli("check", "specs", "--budget-file", "loose.yaml", "--ignore", "NS401").code == 0
    assert cli("check", "specs", "--no-config").code == 0
    (project / "other.yaml").write_text("strict: false\n")
    assert cli("check", "specs", "--config", "other.yaml").code == 0


def test_found_from_a_subdirectory_and_yaml_wins_over_pyproject(cli, project, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.netspec]\nstrict = false\n')
    (project / ".netspec.yaml").write_text("strict: true\n")
    monkeypatch.chdir(project / "specs")
    assert cli("check", "small.yaml").code == 1


def test_search_stops_at_the_repository_root(cli, project, monkeypatch):
    (project.parent / ".netspec.yaml").write_text("strict: true\n")  # outside the repository
    try:
        assert cli("check", "specs").code == 0
    finally:
        (project.parent / ".netspec.yaml").unlink()


def test_bad_configuration_is_a_usage_error(cli, project):
    (project / ".netspec.yaml").write_text("budget_file: team.yaml\n")
    r = cli("check", "specs")
    assert r.code == 2 and "unknown key `budget_file` (did you mean `budget-file`?)" in r.err
    (project / ".netspec.yaml").write_text("strict: yes please\n")
    assert cli("check", "specs").code == 2
    (project / ".netspec.yaml").unlink()
    (project / "pyproject.toml").write_text("[tool.netspec]\nstrict = \n")
    r = cli("check", "specs")
    assert r.code == 2 and "not valid TOML" in r.err


def test_directory_scan_skips_vcs_virtualenvs_and_excludes(cli, project):
    broken = "netspec: 1\nname: broken\n"
    for rel in (".git/x.yaml", ".venv/lib/x.yaml", "env/lib/x.yaml", ".github/workflows/ci.yml",
                "node_modules/pkg/x.yaml", "specs/drafts/wip.yaml", "specs/scratch.tmp.yaml", "specs/.hidden.yaml"):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(broken)
    (project / "env" / "pyvenv.cfg").write_text("home = /usr\n")  # a virtualenv under any name
    (project / "specs" / "keep.tmp.yaml").write_text(SPEC.replace("name: small", "name: keep"))
    (project / ".netspec.yaml").write_text('exclude: ["/team.yaml", "specs/drafts/", "*.tmp.yaml", "!keep.tmp.yaml"]\n')
    r = cli("check", ".")
    assert r.code == 0, r.out
    assert r.out.splitlines()[-1] == "Found 2 warnings in 2 of 2 files."  # NS401 in each, nothing else
    assert "specs/keep.tmp.yaml: ok" in r.out and "specs/small.yaml: ok" in r.out
    # a file named on the command line is checked even if a pattern matches it
    assert cli("check", "specs/scratch.tmp.yaml").code == 1


@pytest.mark.parametrize("patterns, path, is_dir, expect", [
    (["*.tmp.yaml"], "a/b/x.tmp.yaml", False, True),
    (["drafts/"], "specs/drafts", True, True),
    (["drafts/"], "specs/drafts", False, False),      # a trailing / matches directories only
    (["/drafts"], "specs/drafts", True, False),       # a leading / anchors at the root
    (["specs/*.yaml"], "specs/a.yaml", False, True),
    (["specs/*.yaml"], "specs/sub/a.yaml", False, False),  # * stays inside one component
    (["specs/**/a.yaml"], "specs/x/y/a.yaml", False, True),
    (["specs/**/a.yaml"], "specs/a.yaml", False, True),
    (["a?.yaml"], "ab.yaml", False, True),
    (["[ab].yaml"], "c.yaml", False, False),
    (["*.yaml", "!keep.yaml"], "keep.yaml", False, False),
    (["# a comment", ""], "x.yaml", False, False),
])
def test_gitignore_style_patterns(patterns, path, is_dir, expect):
    assert excluded(path, is_dir, compile_excludes(patterns)) is expect
