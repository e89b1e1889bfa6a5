#!/usr/bin/python3
"""Independent references for the cells in src/cells/*-cell.ts that PyTorch has no module for.

Each cell's equations are re-implemented here from the papers / the book, NOT from the
TypeScript. Run with Debian's interpreter, which has python3-torch (the pyenv python3
does not):  /usr/bin/python3 scripts/golden_cells.py

Two kinds of output:

1. Printed arrays (NumPy) for the leaky, skip, clockwork, output-feedback, deep-transition
   and context cells, pasted into their tests (each test names the section it came from).
   Weights and inputs are a deterministic pattern that the TypeScript tests rebuild with
   the same formula, so no random stream has to be shared:

       pattern(shape, p)[k] = 0.5 * sin(0.37 * k + 1.3 * p + 0.1)   (k = flat row-major index)

   where p numbers the tensors of a cell in its parameter order (inputs use p = 100, a
   context p = 200, a second context 201).

2. JSON fixtures in test/fixtures/cells/ for the two forms of the gated cells that
   torch.nn cannot express: the GRU with the reset gate applied BEFORE the recurrent
   product (the book's equation 10.46, Cho et al. 2014) and the LSTM with peephole
   connections (Gers & Schmidhuber 2000), alone and with a projection. The equations are
   written out with torch ops in float64 and torch.autograd gives the gradients of a
   fixed scalar loss with respect to the inputs, the initial states and every weight.
   The same written-out code with the variant switched off (reset after the product, no
   peepholes) is first checked against nn.GRUCell / nn.LSTM, so the harness itself is
   tested against PyTorch. Loaded by src/cells/gru-cell.test.ts and lstm-cell.test.ts.
"""
import json
import pathlib
import zlib

import numpy as np
import torch

from fixture_json import exact_json, replay_json, rounded

np.set_printoptions(precision=17)


def pattern(shape, p):
    n = int(np.prod(shape))
    return (0.5 * np.sin(0.37 * np.arange(n) + 1.3 * p + 0.1)).reshape(shape)


def show(name, value):
    print(f"{name} = {json.dumps([float(v) for v in np.asarray(value).ravel()])}")


B, T, I = 2, 3, 2


def leaky():
    H = 3
    taus = np.array([1.0, 2.0, 5.0])
    U, W, bi, bh = pattern((H, I), 0), pattern((H, H), 1), pattern((H,), 2), pattern((H,), 3)
    xs = pattern((B, T, I), 100)
    h = np.zeros((B, H))
    outs = []
    for t in range(T):
        f = np.tanh(xs[:, t] @ U.T + h @ W.T + bi + bh)
        h = (1 - 1 / taus) * h + (1 / taus) * f
        outs.append(h)
    show("leaky outputs [B,T,H]", np.stack(outs, axis=1))


def skip():
    H, d, steps = 3, 3, 5
    U, W1, Wd, bi, bh = pattern((H, I), 0), pattern((H, H), 1), pattern((H, H), 2), pattern((H,), 3), pattern((H,), 4)
    xs = pattern((B, steps, I), 100)
    hist = [np.zeros((B, H))] * d  # hist[k] = h(t-1-k); zeros before the first step
    outs = []
    for t in range(steps):
        h = np.tanh(xs[:, t] @ U.T + hist[0] @ W1.T + hist[d - 1] @ Wd.T + bi + bh)
        hist = [h] + hist[:-1]
        outs.append(h)
    show("skip (d=3, T=5) outputs [B,T,H]", np.stack(outs, axis=1))


def clockwork():
    # Koutnik et al. 2014: modules sorted by period; module i runs when t % T_i == 0 and
    # hears only modules with period >= its own.
    H, steps = 5, 7
    periods = np.array([1, 1, 2, 2, 3])  # periods [1, 2, 3] over module sizes 2, 2, 1
    U, W, bi, bh = pattern((H, I), 0), pattern((H, H), 1), pattern((H,), 2), pattern((H,), 3)
    M = (periods[None, :] >= periods[:, None]).astype(float)
    xs = pattern((B, steps, I), 100)
    h = np.zeros((B, H))
    outs = []
    for t in range(steps):
        new = np.tanh(xs[:, t] @ U.T + h @ (W * M).T + bi + bh)
        run = (t % periods == 0)
        h = np.where(run[None, :], new, h)
        outs.append(h)
    show("clockwork (periods 1,2,3 over H=5, T=7) outputs [B,T,H]", np.stack(outs, axis=1))


def output_feedback():
    # Figure 10.4: h(t) = tanh(b + W y(t-1) + U x(t) [+ W_hh h(t-1)]), o(t) = c + V h(t).
    H, O, steps = 3, 2, 4
    xs = pattern((B, steps, I), 100)
    ys = pattern((B, steps, O), 201)
    for recurrent in (False, True):
        names = ["U", "W", "Whh", "b", "V", "c"] if recurrent else ["U", "W", "b", "V", "c"]
        shapes = {"U": (H, I), "W": (H, O), "Whh": (H, H), "b": (H,), "V": (O, H), "c": (O,)}
        P = {n: pattern(shapes[n], p) for p, n in enumerate(names)}
        for mode in ("free", "teacher"):
            y, h = np.zeros((B, O)), np.zeros((B, H))
            outs = []
            for t in range(steps):
                a = P["b"] + y @ P["W"].T + xs[:, t] @ P["U"].T + (h @ P["Whh"].T if recurrent else 0)
                h = np.tanh(a)
                o = P["c"] + h @ P["V"].T
                outs.append(o)
                y = o if mode == "free" else ys[:, t]
            show(f"output-feedback (hiddenRecurrence={recurrent}, {mode}) outputs [B,T,O]", np.stack(outs, axis=1))


def deep_transition():
    # Pascanu et al. 2014 DT(S)-RNN, two hidden transition layers of S units and a skip.
    H, S, steps = 3, 4, 4
    U, W1, b1 = pattern((S, I), 0), pattern((S, H), 1), pattern((S,), 2)
    W2, b2 = pattern((S, S), 3), pattern((S,), 4)
    Wo, bo = pattern((H, S), 5), pattern((H,), 6)
    Ws = pattern((H, H), 7)
    xs = pattern((B, steps, I), 100)
    h = np.zeros((B, H))
    outs = []
    for t in range(steps):
        z1 = np.tanh(b1 + h @ W1.T + xs[:, t] @ U.T)
        z2 = np.tanh(b2 + z1 @ W2.T)
        h = np.tanh(bo + z2 @ Wo.T + h @ Ws.T)
        outs.append(h)
    show("deep-transition (L=2, S=4, skip) outputs [B,T,H]", np.stack(outs, axis=1))


def context():
    # Figure 10.9 with an Elman inner cell: h(0) = tanh(Wc x + bc), input [x(t); x].
    H, C, steps = 3, 2, 3
    U, W, bi, bh = pattern((H, I + C), 0), pattern((H, H), 1), pattern((H,), 2), pattern((H,), 3)
    Wc, bc = pattern((H, C), 4), pattern((H,), 5)
    xs = pattern((B, steps, I), 100)
    ctx = pattern((B, C), 200)
    h = np.tanh(ctx @ Wc.T + bc)
    outs = []
    for t in range(steps):
        h = np.tanh(np.concatenate([xs[:, t], ctx], axis=1) @ U.T + h @ W.T + bi + bh)
        outs.append(h)
    show("context (rnn inner, both modes) outputs [B,T,H]", np.stack(outs, axis=1))


# ---- JSON fixtures: GRU with reset before the product, LSTM with peepholes -------------

FB, FT, FI, FH, FP = 3, 4, 3, 4, 2  # batch, steps, inputs, hidden units, projection
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "cells"


def uniform(*shape, bound=1.0):
    # U(-1, 1), larger than PyTorch's 1/sqrt(H) init, drives the gates into their
    # nonlinear range so a wrong formula shows.
    return rounded((torch.rand(*shape, dtype=torch.float64) * 2 - 1) * bound)


def gru_step(x, h, P, reset_after):
    """Cho et al. 2014 in PyTorch's gate order r, z, n; z is the book's update gate u.

        r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)     reset before (book eq. 10.46)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     reset after (PyTorch, cuDNN)
        h' = z * h + (1 - z) * n
    """
    W_ir, W_iz, W_in = P["weightIh"].chunk(3, 0)
    W_hr, W_hz, W_hn = P["weightHh"].chunk(3, 0)
    b_ir, b_iz, b_in = P["biasIh"].chunk(3, 0)
    b_hr, b_hz, b_hn = P["biasHh"].chunk(3, 0)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_after:
        n = torch.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    else:
        n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    return z * h + (1 - z) * n


def lstm_step(x, h, c, P):
    """Gers & Schmidhuber 2000 peepholes on PyTorch's LSTM (gate order i, f, g, o):

        i = sigma(W_ii x + b_ii + W_hi h + b_hi + w_ci * c)
        f = sigma(W_if x + b_if + W_hf h + b_hf + w_cf * c)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c' = f * c + i * g
        o = sigma(W_io x + b_io + W_ho h + b_ho + w_co * c')    (the NEW cell state)
        h' = o * tanh(c'),  then h' = W_hr h' with a projection (proj_size)
    """
    W_ii, W_if, W_ig, W_io = P["weightIh"].chunk(4, 0)
    W_hi, W_hf, W_hg, W_ho = P["weightHh"].chunk(4, 0)
    b_ii, b_if, b_ig, b_io = P["biasIh"].chunk(4, 0)
    b_hi, b_hf, b_hg, b_ho = P["biasHh"].chunk(4, 0)
    zero = torch.zeros(c.shape[1], dtype=torch.float64)
    w_ci, w_cf, w_co = (P.get(k, zero) for k in ("weightCi", "weightCf", "weightCo"))
    i = torch.sigmoid(x @ W_ii.T + b_ii + h @ W_hi.T + b_hi + w_ci * c)
    f = torch.sigmoid(x @ W_if.T + b_if + h @ W_hf.T + b_hf + w_cf * c)
    g = torch.tanh(x @ W_ig.T + b_ig + h @ W_hg.T + b_hg)
    c = f * c + i * g
    o = torch.sigmoid(x @ W_io.T + b_io + h @ W_ho.T + b_ho + w_co * c)
    h = o * torch.tanh(c)
    if "weightHr" in P:
        h = h @ P["weightHr"].T
    return h, c


def unroll(step, x, state):
    """Runs `step` over x [B, T, I] from `state`; outputs [B, T, O] and the final state."""
    outs = []
    for t in range(x.shape[1]):
        state = step(x[:, t], *state)
        outs.append(state[0])
    return torch.stack(outs, 1), state


def check_harness():
    """The written-out equations with the variant off must be PyTorch's own modules."""
    torch.manual_seed(0)
    x = torch.randn(FB, FT, FI, dtype=torch.float64)
    gru = torch.nn.GRUCell(FI, FH).double()
    P = {"weightIh": gru.weight_ih, "weightHh": gru.weight_hh, "biasIh": gru.bias_ih, "biasHh": gru.bias_hh}
    h0 = torch.randn(FB, FH, dtype=torch.float64)
    ours, _ = unroll(lambda xt, h: (gru_step(xt, h, P, reset_after=True),), x, (h0,))
    theirs, _ = unroll(lambda xt, h: (gru(xt, h),), x, (h0,))
    assert torch.allclose(ours, theirs, rtol=0, atol=1e-12), "GRU harness differs from nn.GRUCell"
    lstm = torch.nn.LSTM(FI, FH, proj_size=FP, batch_first=True).double()
    P = {"weightIh": lstm.weight_ih_l0, "weightHh": lstm.weight_hh_l0, "biasIh": lstm.bias_ih_l0,
         "biasHh": lstm.bias_hh_l0, "weightHr": lstm.weight_hr_l0}
    h0, c0 = torch.randn(FB, FP, dtype=torch.float64), torch.randn(FB, FH, dtype=torch.float64)
    ours, (h, c) = unroll(lambda xt, h, c: lstm_step(xt, h, c, P), x, (h0, c0))
    theirs, (hn, cn) = lstm(x, (h0[None], c0[None]))
    for a, b in ((ours, theirs), (h, hn[0]), (c, cn[0])):
        assert torch.allclose(a, b, rtol=0, atol=1e-12), "LSTM harness differs from nn.LSTM"


def cell_fixture(name, cell, options, shapes, step):
    """Seeded weights, inputs and initial states; outputs, final states, the loss
    sum(output * R) + sum(h_n * R2) (+ sum(c_n * R3)) and its gradients."""
    torch.manual_seed(zlib.crc32(name.encode()))
    P = {k: uniform(*shape).requires_grad_() for k, shape in shapes.items()}
    is_lstm = cell == "lstm"
    out_size = options.get("projSize", FH)
    x = uniform(FB, FT, FI).requires_grad_()
    h0 = uniform(FB, out_size, bound=0.5).requires_grad_()
    c0 = uniform(FB, FH, bound=0.5).requires_grad_() if is_lstm else None
    out, final = unroll(lambda xt, *s: step(xt, s, P), x, (h0, c0) if is_lstm else (h0,))
    h_n = final[0]
    c_n = final[1] if is_lstm else None
    weights = {"output": uniform(*out.shape), "hN": uniform(*h_n.shape)}
    loss = (out * weights["output"]).sum() + (h_n * weights["hN"]).sum()
    if c_n is not None:
        weights["cN"] = uniform(*c_n.shape)
        loss = loss + (c_n * weights["cN"]).sum()
    loss.backward()
    return {
        "torch": torch.__version__,
        "generator": "scripts/golden_cells.py",
        "name": name,
        "cell": cell,
        "options": options,
        "inputSize": FI,
        "hiddenSize": FH,
        "params": {k: exact_json(v) for k, v in P.items()},
        **replay_json(x, h0, c0, out, h_n, c_n, weights, loss, "params", ((k, v.grad) for k, v in P.items())),
    }


def gated_fixtures():
    check_harness()
    # Parameter names and order are unfold's (cell.namedParameters()), PyTorch's camelCased.
    gru = {"weightIh": (3 * FH, FI), "weightHh": (3 * FH, FH), "biasIh": (3 * FH,), "biasHh": (3 * FH,)}
    lstm = {"weightIh": (4 * FH, FI), "weightHh": (4 * FH, FH), "biasIh": (4 * FH,), "biasHh": (4 * FH,)}
    peep = {"weightCi": (FH,), "weightCf": (FH,), "weightCo": (FH,)}
    lstm_proj = {**lstm, "weightHh": (4 * FH, FP), "weightHr": (FP, FH)}
    cases = [
        cell_fixture("gru-reset-before", "gru", {"resetAfter": False}, gru,
                     lambda x, s, P: (gru_step(x, s[0], P, reset_after=False),)),
        cell_fixture("lstm-peephole", "lstm", {"peephole": True}, {**lstm, **peep},
                     lambda x, s, P: lstm_step(x, s[0], s[1], P)),
        cell_fixture("lstm-peephole-proj", "lstm", {"peephole": True, "projSize": FP}, {**lstm_proj, **peep},
                     lambda x, s, P: lstm_step(x, s[0], s[1], P)),
    ]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (FIXTURES / f"{case['name']}.json").write_text(json.dumps(case, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} fixtures to {FIXTURES}")


if __name__ == "__main__":
    leaky()
    skip()
    clockwork()
    output_feedback()
    deep_transition()
    context()
    gated_fixtures()
