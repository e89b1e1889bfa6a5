#!/usr/bin/python3
"""Golden values from PyTorch for unfold's recurrent layers (issue 3).

Writes one JSON fixture per case to test/fixtures/torch/: seeded random weights and
inputs, and what PyTorch computes from them in float64 -- the outputs (padded back with
zeros), the final states h_n / c_n, the value of a fixed scalar loss and its gradients
with respect to the inputs, the initial states and every parameter.
src/sequence/torch-golden.test.ts loads them (no Python needed to run the tests).

Run with Debian's interpreter, which has python3-torch (the pyenv python3 does not):

    /usr/bin/python3 scripts/torch-fixtures.py

Cases: nn.RNN (tanh, relu), nn.LSTM (with and without proj_size), nn.GRU, each with 1
and 2 layers, uni- and bidirectional, on a padded batch packed with
pack_padded_sequence(enforce_sorted=False, batch_first=True) from non-zero h0 / c0;
plus a packed batch without padding, an unpacked call with the default zero state, an
LSTM without biases, and nn.RNNCell / nn.LSTMCell / nn.GRUCell unrolled by hand.

The loss is sum(output * R) + sum(h_n * R2) (+ sum(c_n * R3)) with fixed random R's
(stored as lossWeights), so every output and final-state element gets its own gradient.

Random values are rounded to 6 decimals BEFORE PyTorch sees them, so the JSON holds
exactly the float64 values PyTorch computed with (short to write, exact to read back).
Results are written with 14 significant digits: far below the tests' 1e-10 tolerance,
and it keeps the fixtures small.
"""

import json
import pathlib
import zlib

import torch

from fixture_json import exact_json, replay_json, rounded
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)

B, T, I, H, P = 3, 5, 4, 3, 2
# Unsorted on purpose (enforce_sorted=False), one at full length, one short.
LENGTHS = [5, 2, 4]
OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "torch"


def randn(*shape, scale=1.0):
    return rounded(torch.randn(*shape) * scale)


def uniform(*shape, bound=1.0):
    return rounded((torch.rand(*shape) * 2 - 1) * bound)


def randomise(module):
    """Replaces PyTorch's init with U(-1, 1): larger weights drive the gates further into
    their nonlinear range than the default 1/sqrt(H) bound, so a wrong formula shows."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(uniform(*p.shape))


def make_module(mode, layers, bidirectional, bias=True, cell=False):
    common = {"bias": bias}
    if cell:
        if mode.startswith("rnn"):
            return nn.RNNCell(I, H, nonlinearity=mode[4:], **common)
        return {"lstm": nn.LSTMCell, "gru": nn.GRUCell}[mode](I, H, **common)
    common.update(num_layers=layers, bidirectional=bidirectional, batch_first=True)
    if mode.startswith("rnn"):
        return nn.RNN(I, H, nonlinearity=mode[4:], **common)
    if mode == "lstm":
        return nn.LSTM(I, H, **common)
    if mode == "lstm-proj":
        return nn.LSTM(I, H, proj_size=P, **common)
    return nn.GRU(I, H, **common)


def config_json(mode, layers, bidirectional, bias, cell):
    kind = mode.split("-")[0]
    c = {
        "cell": kind,
        "inputSize": I,
        "hiddenSize": H,
        "numLayers": layers,
        "bidirectional": bidirectional,
        "bias": bias,
        "projSize": P if mode == "lstm-proj" else 0,
        "nonlinearity": mode[4:] if kind == "rnn" else None,
        "singleCell": cell,
    }
    return c


def layer_case(name, mode, layers, bidirectional, lengths=LENGTHS, packed=True, initial=True, bias=True):
    torch.manual_seed(zlib.crc32(name.encode()))
    module = make_module(mode, layers, bidirectional, bias)
    randomise(module)
    is_lstm = mode.startswith("lstm")
    dirs = 2 if bidirectional else 1
    h_out = P if mode == "lstm-proj" else H

    x = randn(B, T, I).requires_grad_()
    h0 = randn(layers * dirs, B, h_out, scale=0.5).requires_grad_() if initial else None
    c0 = randn(layers * dirs, B, H, scale=0.5).requires_grad_() if initial and is_lstm else None
    state = None if h0 is None else ((h0, c0) if is_lstm else h0)

    if packed:
        # Padded steps hold random values, not zeros: the packed sequence must ignore them.
        seq = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out_packed, final = module(seq, state)
        out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)
    else:
        out, final = module(x, state)
    h_n, c_n = final if is_lstm else (final, None)

    weights = {"output": randn(*out.shape), "hN": randn(*h_n.shape)}
    loss = (out * weights["output"]).sum() + (h_n * weights["hN"]).sum()
    if c_n is not None:
        weights["cN"] = randn(*c_n.shape)
        loss = loss + (c_n * weights["cN"]).sum()
    loss.backward()

    return {
        "name": name,
        "module": type(module).__name__,
        "config": config_json(mode, layers, bidirectional, bias, False),
        "packed": packed,
        "lengths": lengths if packed else None,
        "stateDict": {k: exact_json(v) for k, v in module.state_dict().items()},
        **replay_json(x, h0, c0, out, h_n, c_n, weights, loss, "stateDict", ((k, p.grad) for k, p in module.named_parameters())),
    }


def cell_case(name, mode):
    """nn.*Cell unrolled over T steps by hand: output [B, T, H], final h (and c) [B, H]."""
    torch.manual_seed(zlib.crc32(name.encode()))
    module = make_module(mode, 1, False, cell=True)
    randomise(module)
    is_lstm = mode == "lstm"
    x = randn(B, T, I).requires_grad_()
    h0 = randn(B, H, scale=0.5).requires_grad_()
    c0 = randn(B, H, scale=0.5).requires_grad_() if is_lstm else None
    h, c = h0, c0
    outs = []
    for t in range(T):
        if is_lstm:
            h, c = module(x[:, t], (h, c))
        else:
            h = module(x[:, t], h)
        outs.append(h)
    out = torch.stack(outs, 1)
    weights = {"output": randn(*out.shape), "hN": randn(*h.shape)}
    loss = (out * weights["output"]).sum() + (h * weights["hN"]).sum()
    if c is not None:
        weights["cN"] = randn(*c.shape)
        loss = loss + (c * weights["cN"]).sum()
    loss.backward()
    return {
        "name": name,
        "module": type(module).__name__,
        "config": config_json(mode, 1, False, True, True),
        "packed": False,
        "lengths": None,
        "stateDict": {k: exact_json(v) for k, v in module.state_dict().items()},
        **replay_json(x, h0, c0, out, h, c, weights, loss, "stateDict", ((k, p.grad) for k, p in module.named_parameters())),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    cases = []
    for mode in ["rnn-tanh", "rnn-relu", "lstm", "lstm-proj", "gru"]:
        for layers in [1, 2]:
            for bidirectional in [False, True]:
                name = f"{mode}-l{layers}-{'bi' if bidirectional else 'uni'}"
                cases.append(layer_case(name, mode, layers, bidirectional))
    cases.append(layer_case("lstm-proj-l2-bi-nopad", "lstm-proj", 2, True, lengths=[T] * B))
    cases.append(layer_case("gru-l2-bi-unpacked-zero-state", "gru", 2, True, packed=False, initial=False))
    cases.append(layer_case("lstm-l2-uni-nobias", "lstm", 2, False, bias=False))
    for mode in ["rnn-tanh", "rnn-relu", "lstm", "gru"]:
        cases.append(cell_case(f"cell-{mode}", mode))
    for case in cases:
        case = {"torch": torch.__version__, "generator": "scripts/torch-fixtures.py", **case}
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(case, separators=(",", ":")) + "\n")
    total = sum(p.stat().st_size for p in OUT.glob("*.json"))
    print(f"wrote {len(cases)} fixtures ({total} bytes) to {OUT}")


if __name__ == "__main__":
    main()
