"""The README's install, pre-commit and GitHub Actions snippets, run exactly as printed.

Each snippet is read out of README.md at test time (so editing the README edits the test) and run
with the real tools: `pip install .` into a fresh virtualenv, pre-commit on a throwaway repository,
the workflow's `run:` steps in order under bash. The one thing replaced is the network fetch of the
`netspec-cli` distribution: pip finds it in a wheelhouse built from this checkout
(PIP_FIND_LINKS), so a snippet that names the wrong distribution or a stale version still fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

import netspec
from test_precommit import BAD, GOOD  # a spec within its MACCs budget, and one 18,432 MACCs over 10K

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def fenced_blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", README, flags=re.S | re.M)


def block(lang: str, first_line: str) -> str:
    found = [b for b in fenced_blocks(lang) if b.startswith(first_line)]
    assert len(found) == 1, f"README: expected one ```{lang} block starting {first_line!r}"
    return found[0]


def install_block() -> str:
    section = README[README.index("## Install and run"):]
    return re.search(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M).group(1)


def test_distribution_name_is_the_one_in_every_hint():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == netspec.DISTRIBUTION == "netspec-cli"
    from netspec.export import INSTALL_HINT

    assert "pip install 'netspec-cli[torch]'" in INSTALL_HINT["torch"]
    # no hint anywhere names the unrelated `netspec` project on the index
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("netspec/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"pip install\s+'?netspec(\[|\s|'|$)", text, flags=re.M), path


def _env(tmp_path: Path, wheelhouse: Path | None = None, bindir: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "GITHUB_"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"), GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    if wheelhouse is not None:  # the distribution comes from here instead of the index
        env["PIP_FIND_LINKS"] = " ".join(filter(None, [str(wheelhouse), os.environ.get("PIP_FIND_LINKS")]))
    if bindir is not None:
        env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(args, cwd, env, check=True, timeout=900):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{args} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def _fresh_venv(path: Path) -> Path:
    """A virtualenv that sees the interpreter's installed packages (the dependencies), not netspec."""
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(path)
    return path / "bin"


def _source_copy(dest: Path) -> Path:
    """The files a fresh clone has (git's list), without this worktree's caches and builds."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, listed.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    """This checkout built as the `netspec-cli` wheel, where pip looks before the index."""
    out = tmp_path_factory.mktemp("wheelhouse")
    src = _source_copy(tmp_path_factory.mktemp("src"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)], src, dict(os.environ))
    wheels = list(out.glob("*.whl"))
    assert [w.name for w in wheels] == [f"netspec_cli-{netspec.__version__}-py3-none-any.whl"]
    return out


def test_install_and_run_snippet(tmp_path):
    """Python >= 3.11, from a clone: `pip install .` then `netspec check specs/mobilenet_v2.yaml`."""
    snippet = install_block()
    assert snippet == "pip install .\nnetspec check specs/mobilenet_v2.yaml\n"
    clone = _source_copy(tmp_path / "clone")
    bindir = _fresh_venv(tmp_path / "venv")
    env = _env(tmp_path, bindir=bindir)
    proc = _run(["bash", "-e", "-c", snippet], clone, env)
    # torchvision's mobilenet_v2: 3,504,872 parameters, 300,774,272 multiply-adds
    last = proc.stdout.splitlines()[-1]  # after pip's own lines
    assert last.startswith("specs/mobilenet_v2.yaml: ok — 65 layers, output 1000, params 3.50M, MACCs 301M"), last
    assert (bindir / "netspec").exists()


def test_precommit_snippet(tmp_path, wheelhouse):
    """The README's .pre-commit-config.yaml, verbatim, with real pre-commit: a good spec passes,
    an over-budget one fails with the budget message, a YAML file outside specs/ is not checked."""
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra: pip install -e '.[test]'")
    config = block("yaml", "# .pre-commit-config.yaml")
    hook = yaml.safe_load(config)["repos"][0]["hooks"][0]
    assert hook["additional_dependencies"] == [f"netspec-cli=={netspec.__version__}"]
    work = tmp_path / "project"
    (work / "specs").mkdir(parents=True)
    env = _env(tmp_path, wheelhouse)
    precommit = [sys.executable, "-m", "pre_commit"]
    _run(["git", "init", "-q"], work, env)
    (work / ".pre-commit-config.yaml").write_text(config)
    (work / "specs" / "good.yaml").write_text(GOOD)
    (work / "other.yaml").write_text("just: yaml\n")
    _run(["git", "add", "."], work, env)
    ok = _run([*precommit, "run"], work, env, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"^netspec check\.+Passed$", ok.stdout, flags=re.M), ok.stdout
    _run(["git", "commit", "-qm", "good"], work, env)

    (work / "specs" / "bad.yaml").write_text(BAD)
    _run(["git", "add", "."], work, env)
    bad = _run([*precommit, "run"], work, env, check=False)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"^netspec check\.+Failed$", bad.stdout, flags=re.M), bad.stdout
    assert "specs/bad.yaml:2:1: error[NS301] total MACCs 18.4K exceed the budget 10.0K" in bad.stdout


TEAM = "budget: {params: 10M}\nspecs:\n  detector: {maccs: 40K}\n"
DETECTOR = """\
netspec: 1
name: detector
input: {height: 8, width: 8, channels: 4}
layers:
  - {name: c1, type: conv, filters: 8, kernel: 3}
"""


def _actions_steps() -> list[str]:
    """The `run:` steps of the README's workflow that a pull-request run executes, in order, with
    the GitHub expressions they use filled in; `gh` (the network call to GitHub) is left out."""
    jobs = yaml.safe_load(block("yaml", "jobs:"))["jobs"]
    steps = jobs["netspec"]["steps"]
    values = {"github.base_ref": "main", "github.event.number": "1", "github.event_name": "'pull_request'"}
    out = []
    for step in steps:
        if "run" not in step:
            assert step["uses"].startswith(("actions/checkout@", "actions/setup-python@")), step
            continue
        cond = step.get("if")
        if cond is not None:
            cond = cond.replace("always()", "True").replace("&&", "and")
            for k, v in values.items():
                cond = cond.replace(k, v)
            assert eval(cond, {"__builtins__": {}}, {"True": True}), cond  # noqa: S307 (our own README)
        script = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)].strip("'"), step["run"])
        if script.lstrip().startswith("gh "):
            continue
        out.append(script)
    return out


def test_actions_snippet(tmp_path, wheelhouse):
    """The workflow's steps on a pull request: install, check every spec with annotations (and the
    step summary), then the diff against the base branch, which breaks the 5% MACCs rule here."""
    steps = _actions_steps()
    assert steps[0] == "pip install netspec-cli"
    bindir = _fresh_venv(tmp_path / "venv")
    env = _env(tmp_path, wheelhouse, bindir)
    # The runner starts without netspec; the interpreter running this test has it (CI's editable
    # install) and the venv shares its site-packages for the dependencies, so pip would call the
    # requirement satisfied and install nothing. Make pip install the wheel as on a fresh runner.
    env.update(PIP_FORCE_REINSTALL="1", PIP_NO_DEPS="1")
    origin, work = tmp_path / "origin", tmp_path / "work"
    (origin / "specs").mkdir(parents=True)
    (origin / "specs" / "detector.yaml").write_text(DETECTOR)
    (origin / "team.yaml").write_text(TEAM)
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-qm", "base"]):
        _run(cmd, origin, env)
    _run(["git", "clone", "-q", str(origin), str(work)], tmp_path, env)
    # the pull request widens c1 from 8 to 16 filters: 18,432 -> 36,864 MACCs (+100%), within 40K
    (work / "specs" / "detector.yaml").write_text(DETECTOR.replace("filters: 8", "filters: 16"))
    summary = tmp_path / "summary.md"
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    results = [_run(["bash", "-e", "-c", s], work, env, check=False) for s in steps]
    assert [r.returncode for r in results] == [0, 0, 1], [r.stdout + r.stderr for r in results]
    assert (bindir / "netspec").exists()
    check = results[1].stdout
    assert "specs/detector.yaml: ok" in check and "budget maccs 36.9K / 40.0K (92%)" in check
    assert summary.read_text().startswith("## netspec")
    diff = (work / "diff.md").read_text()
    assert "maccs grew by 18,432 (+100.0%), over the allowed increase 5%" in diff
