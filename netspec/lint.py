"""Lint warnings (NS4xx) over the costed graph (filled in by the budgets work)."""

from __future__ import annotations


def lint(graph, totals):
    return []
