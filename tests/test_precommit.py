"""The pre-commit hook, run by the real `pre-commit try-repo` on a throwaway repository: a commit
of a good spec passes, a commit of an over-budget spec fails with the budget message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
netspec: 1
name: good
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 8, kernel: 3}
budget: {maccs: 20K}
"""
BAD = GOOD.replace("name: good", "name: bad").replace("20K", "10K")  # 18,432 MACCs > 10K

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="try-repo needs the netspec git checkout"),
]


def _precommit() -> list[str]:
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra: pip install -e '.[test]'")
    return [sys.executable, "-m", "pre_commit"]


def test_hooks_file_declares_the_netspec_hook():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "netspec")
    assert hook["entry"] == "netspec check"
    assert hook["language"] == "python"
    assert hook["types"] == ["yaml"]
    assert "files" in hook


def test_try_repo_good_passes_bad_fails(tmp_path):
    cmd = _precommit()
    work = tmp_path / "project"
    (work / "specs").mkdir(parents=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def run(*args, check=True):
        return subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, check=check, timeout=900)

    run("git", "init", "-q")
    (work / "specs" / "good.yaml").write_text(GOOD)
    run("git", "add", "specs/good.yaml")
    ok = run(*cmd, "try-repo", str(ROOT), "netspec", check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    run("git", "commit", "-qm", "good spec")

    (work / "specs" / "bad.yaml").write_text(BAD)
    run("git", "add", "specs/bad.yaml")
    bad = run(*cmd, "try-repo", str(ROOT), "netspec", check=False)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert ("specs/bad.yaml:2:1: error[NS301] total MACCs 18.4K exceed the budget 10.0K by 8.43K (84.3%) "
            "[budget at specs/bad.yaml:6:10]") in bad.stdout
