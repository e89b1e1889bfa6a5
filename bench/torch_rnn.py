#!/usr/bin/python3
"""PyTorch's side of `unfold bench` (src/bench/): the same workloads as unfold and the
JavaScript peers, timed the same way, one JSON object on stdout.

    python3 bench/torch_rnn.py train lstm|gru|rnn     tokens/s of one training step
    python3 bench/torch_rnn.py generate               microseconds per generated symbol
    python3 bench/torch_rnn.py gemm 128 256 ...       GFLOP/s of float32 C = A B

The bench runs it with Debian's /usr/bin/python3 (python3-torch, libopenblas0-pthread) and
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2, the fastest setting measured on the 2-core
machine of issue 5. Never needed by the tests or CI: when `import torch` fails the bench
notes it and skips this peer.

Workloads (src/bench/train.ts and src/bench/generate.ts describe the same ones):
- train: a character-level language model, embedding 65 -> 64, one recurrent layer of 256
  (nn.LSTM, nn.GRU or nn.RNN with tanh), a linear head to 65 logits, softmax
  cross-entropy at every step of 32 sequences x 64 steps, full BPTT, Adam (lr 1e-3).
- generate: one-hot input over 65, an LSTM of 512, a linear head, softmax and
  torch.multinomial; batch 1, 1,000 steps with the state carried, under no_grad.
Each figure is the best of several timed repetitions after warm-up (the machine is
shared; other jobs only ever add time).
"""

import json
import os
import resource
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

VOCAB, EMBED, HIDDEN, BATCH, STEPS = 65, 64, 256, 32, 64
GEN_HIDDEN, GEN_STEPS = 512, 1000


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, warmup, min_reps, max_reps, budget_s):
    """Best wall time of fn() over repetitions after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    best, reps, spent = float('inf'), 0, 0.0
    while reps < min_reps or (reps < max_reps and spent < budget_s):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        spent += dt
        reps += 1
    return best, reps


class LanguageModel(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        cls = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[kind]
        self.rnn = cls(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens):
        outputs, _ = self.rnn(self.embed(tokens))
        return self.head(outputs)


def train(kind):
    torch.manual_seed(0)
    model = LanguageModel(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, VOCAB, (BATCH, STEPS))
    targets = torch.randint(0, VOCAB, (BATCH, STEPS))

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens).reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    best, reps = timed(step, warmup=3, min_reps=5, max_reps=30, budget_s=6.0)
    return {'value': BATCH * STEPS / best, 'unit': 'tokens/s', 'iterations': reps}


def generate():
    torch.manual_seed(0)
    # LSTMCell steps without nn.LSTM's sequence machinery: the faster of the two here.
    cell = nn.LSTMCell(VOCAB, GEN_HIDDEN)
    head = nn.Linear(GEN_HIDDEN, VOCAB)
    x = torch.zeros(1, VOCAB)

    def run(steps):
        h = torch.zeros(1, GEN_HIDDEN)
        c = torch.zeros(1, GEN_HIDDEN)
        symbol = 0
        with torch.no_grad():
            for _ in range(steps):
                x.zero_()
                x[0, symbol] = 1
                h, c = cell(x, (h, c))
                probs = F.softmax(head(h), dim=-1)
                symbol = int(torch.multinomial(probs, 1))

    run(100)
    best, reps = timed(lambda: run(GEN_STEPS), warmup=0, min_reps=3, max_reps=10, budget_s=5.0)
    return {'value': best / GEN_STEPS * 1e6, 'unit': 'us/step', 'iterations': reps}


def gemm(sizes):
    figures = {}
    for n in sizes:
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        c = torch.empty(n, n)
        calls = max(1, int(2e8 // (2 * n ** 3)))

        def batch():
            for _ in range(calls):
                torch.mm(a, b, out=c)

        best, _ = timed(batch, warmup=2, min_reps=5, max_reps=60, budget_s=1.0)
        figures[str(n)] = 2 * n ** 3 * calls / best / 1e9
    return {'values': figures, 'unit': 'GFLOP/s'}


def main(argv):
    what = argv[1] if len(argv) > 1 else ''
    if what == 'train' and len(argv) == 3 and argv[2] in ('lstm', 'gru', 'rnn'):
        result = train(argv[2])
    elif what == 'generate':
        result = generate()
    elif what == 'gemm' and len(argv) > 2:
        result = gemm([int(n) for n in argv[2:]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    result['ok'] = True
    result['peakRssMb'] = peak_rss_mb()
    result['detail'] = {
        'torch': torch.__version__,
        'threads': f'{torch.get_num_threads()} intra-op, OPENBLAS_NUM_THREADS={os.environ.get("OPENBLAS_NUM_THREADS", "unset")}',
    }
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
