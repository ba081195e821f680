"""Shared helpers: run the CLI in-process and capture what a user would see."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Run:
    from netspec.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return Run(code, out.getvalue(), err.getvalue())


def file_tree(root: Path) -> dict:
    """Every file below `root` (but caches and .git) with its size, mtime and type: compared before
    and after a hostile test, it shows any file created, changed or removed."""
    import os
    import stat

    out = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".pytest_cache", ".hypothesis", ".benchmarks")]
        for n in names:
            p = Path(folder, n)
            try:
                st = p.lstat()
            except OSError:
                continue
            out[str(p)] = (st.st_size, st.st_mtime_ns, stat.S_IFMT(st.st_mode))
    return out


@pytest.fixture
def untouched_repo():
    """Fails the test if it created, changed or removed a file of the repository."""
    before = file_tree(ROOT)
    yield
    assert file_tree(ROOT) == before, "a file of the repository was created, changed or removed"


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path string."""

    def _write(name: str, text: str) -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return str(p)

    return _write


sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture
def changed_repo(tmp_path):
    """A git repo whose net.yaml gains a layer, loses one and widens one in its last commit."""
    base = (ROOT / "specs" / "tiny.yaml").read_text()
    head = base.replace("  - {name: dropout, type: dropout, rate: 0.2}\n", "") \
        .replace("  - {name: pool, type: global_avgpool}\n",
                 "  - {name: extra, type: conv, filters: 128, kernel: 1}\n  - {name: pool, type: global_avgpool}\n") \
        .replace("classes: 10", "classes: 20")
    assert head != base
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "net.yaml").write_text(base)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    (tmp_path / "net.yaml").write_text(head)
    subprocess.run([*git, "commit", "-qam", "head"], cwd=tmp_path, check=True)
    return tmp_path
