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


def replay_json(x, h0, c0, out, h_n, c_n, weights, loss, params_key, param_grads):
    """The part every recurrent fixture shares, in the order the fixtures store it: the
    input and initial states (h0, c0 may be None), the results, the loss weights and loss,
    and the gradients, the parameters' under `params_key` from `param_grads` (name, tensor)."""
    return {
        "input": exact_json(x),
        "h0": exact_json(h0) if h0 is not None else None,
        "c0": exact_json(c0) if c0 is not None else None,
        "output": result_json(out),
        "hN": result_json(h_n),
        "cN": result_json(c_n) if c_n is not None else None,
        "lossWeights": {k: exact_json(v) for k, v in weights.items()},
        "loss": result(loss.item()),
        "grad": {
            "input": result_json(x.grad),
            "h0": result_json(h0.grad) if h0 is not None else None,
            "c0": result_json(c0.grad) if c0 is not None else None,
            params_key: {k: result_json(g) for k, g in param_grads},
        },
    }
