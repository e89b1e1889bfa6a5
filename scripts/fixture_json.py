"""JSON encoding shared by the fixture scripts (torch-fixtures.py, golden_cells.py).

Inputs are rounded to 6 decimals so the JSON holds them exactly; results keep 14
significant digits, which the tests' 1e-10 (float64) tolerance leaves room for.
"""

import torch


def rounded(t):
    """The same tensor with values rounded to 6 decimals (exact in the JSON)."""
    return torch.round(t * 1e6) / 1e6


def result(x):
    """A result value with 14 significant digits."""
    return float(f"{x:.14g}")


def exact_json(t):
    return {"shape": list(t.shape), "data": t.detach().flatten().tolist()}


def result_json(t):
    return {"shape": list(t.shape), "data": [result(v) for v in t.detach().flatten().tolist()]}
