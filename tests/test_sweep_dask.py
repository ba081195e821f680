"""`netspec sweep --scheduler`: the points run as tasks on a Dask distributed cluster (here a
LocalCluster of two worker processes) and give exactly the local rows, in the same order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netspec.cli import main

distributed = pytest.importorskip("dask.distributed", reason="the [dask] extra is not installed")

SPEC = str(Path(__file__).resolve().parent.parent / "specs" / "mobilenet_v2.yaml")


def sweep(capsys, *args) -> dict:
    with pytest.raises(SystemExit) as exc:
        main(["sweep", SPEC, "--set", "width=0.3:1.4:0.1", "--set", "res=0:224:16", "--max-maccs", "300M",
              "--pareto", "maccs,peak_memory", "--best", "-f", "json", "--no-config", *args])
    assert exc.value.code == 0
    return json.loads(capsys.readouterr().out)


def test_dask_rows_equal_local_rows(capsys):
    local = sweep(capsys)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = sweep(capsys, "--scheduler", cluster.scheduler_address)
    assert len(local["rows"]) == 180 and any(not r["ok"] for r in local["rows"])  # invalid points travel too
    assert remote == local
