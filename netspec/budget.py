"""Stage 6, judge: budget rules against the totals and the layers (filled in by the budgets work)."""

from __future__ import annotations


class BudgetError(Exception):
    pass


def load_budget_file(path):
    raise BudgetError("--budget-file is not supported yet")


def command_line_budget(flags):
    return None


def judge(graph, totals, sources):
    return [], []
