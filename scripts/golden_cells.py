#!/usr/bin/python3
"""Independent NumPy reference for the cells in src/cells/*-cell.ts beyond RNN/LSTM/GRU.

Each cell's equations are re-implemented here from the papers / the book, NOT from the
TypeScript. Weights and inputs are a deterministic pattern that the TypeScript tests
rebuild with the same formula, so no random stream has to be shared:

    pattern(shape, p)[k] = 0.5 * sin(0.37 * k + 1.3 * p + 0.1)   (k = flat row-major index)

where p numbers the tensors of a cell in its parameter order (inputs use p = 100, a
context p = 200, a second context 201). Run:  /usr/bin/python3 scripts/golden_cells.py
and paste the printed arrays into the tests (each test names the section it came from).
"""
import json
import numpy as np

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


if __name__ == "__main__":
    leaky()
    skip()
    clockwork()
    output_feedback()
    deep_transition()
    context()
