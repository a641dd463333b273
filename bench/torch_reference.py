"""PyTorch CPU reference for bench/model.ts: the same TinyTransformer, timed the same way.

Architecture (lib/policies/transformer.ts): pre-LayerNorm GPT, learned token and position embeddings,
fused QKV projection with bias, causal multi-head attention, output projection with bias, MLP
d -> 4d -> d with GELU(x) ~= x * sigmoid(1.702 x), final LayerNorm, untied output head with bias
(eps 1e-5). Quick preset: vocab 18, context 24, d 64, 2 layers, 4 heads -> 103,954 parameters.

Measured with torch.set_num_threads(1):
- train step: Adam (lr 1e-3) on the token-mean NLL of next-token prediction over batch x 24 tokens,
  median (and min/max) of `steps` steps after 2 warm-up steps;
- rollout: KV-cache sampling of 16 new tokens for `batch` prompts of 8 tokens (log-softmax, entropy and a
  multinomial draw per token, as TinyTransformer.sample records), median over ceil(steps/2) rollouts;
- process CPU ms per train step and per rollout (time.process_time), less disturbed by other load.

Usage: /usr/bin/python3 bench/torch_reference.py '{"batch": 64, "steps": 5}'  -> one JSON line on stdout.
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)

VOCAB, CONTEXT, D, LAYERS, HEADS = 18, 24, 64, 2, 4
DFF = 4 * D
PROMPT = 8


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D, eps=1e-5)
        self.qkv = torch.nn.Linear(D, 3 * D)
        self.o = torch.nn.Linear(D, D)
        self.ln2 = torch.nn.LayerNorm(D, eps=1e-5)
        self.w1 = torch.nn.Linear(D, DFF)
        self.w2 = torch.nn.Linear(DFF, D)

    def forward(self, h, bias, past=None):
        B, T, _ = h.shape
        dh = D // HEADS
        q, k, v = self.qkv(self.ln1(h)).split(D, dim=-1)
        q, k, v = (z.view(B, T, HEADS, dh).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        att = torch.softmax((q * (1 / math.sqrt(dh))) @ k.transpose(-1, -2) + bias, dim=-1) @ v
        h = h + self.o(att.transpose(1, 2).reshape(B, T, D))
        f = self.w1(self.ln2(h))
        h = h + self.w2(f * torch.sigmoid(1.702 * f))
        return h, (k, v)


class TinyTransformer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(VOCAB, D)
        self.pos = torch.nn.Embedding(CONTEXT, D)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(LAYERS)])
        self.lnf = torch.nn.LayerNorm(D, eps=1e-5)
        self.head = torch.nn.Linear(D, VOCAB)

    def forward(self, tokens, pos, bias, past=None):
        h = self.tok(tokens) + self.pos(pos)
        kv = []
        for i, blk in enumerate(self.blocks):
            h, c = blk(h, bias, None if past is None else past[i])
            kv.append(c)
        return self.head(self.lnf(h)), kv


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def causal_bias(T):
    return torch.triu(torch.full((T, T), -1e9), diagonal=1).view(1, 1, T, T)


def train_step_ms(model, tokens, steps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B, T = tokens.shape
    pos = torch.arange(T).expand(B, T)
    bias = causal_bias(T)

    cpu = []

    def step():
        c0 = time.process_time()
        t0 = time.perf_counter()
        logits, _ = model(tokens, pos, bias)
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        loss = -logp.gather(-1, tokens[:, 1:].unsqueeze(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        cpu.append((time.process_time() - c0) * 1000)
        return (time.perf_counter() - t0) * 1000

    step()
    step()
    cpu.clear()
    return [step() for _ in range(steps)], cpu


@torch.no_grad()
def rollout_ms(model, prompts, new_tokens, seed):
    c0 = time.process_time()
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    B, P = prompts.shape
    logits, kv = model(prompts, torch.arange(P).expand(B, P), causal_bias(P))
    logits = logits[:, -1]
    out, logps, ents = [], [], []
    for s in range(new_tokens):
        logp = torch.log_softmax(logits, dim=-1)
        ents.append(-(logp.exp() * logp).sum(-1))
        t = torch.multinomial(logp.exp(), 1, generator=gen)
        logps.append(logp.gather(-1, t))
        out.append(t)
        if s == new_tokens - 1:
            break
        pos = torch.full((B, 1), P + s, dtype=torch.long)
        logits, kv = model(t, pos, torch.zeros(1, 1, 1, 1), kv)
        logits = logits[:, -1]
    torch.cat(out, 1).tolist()
    torch.cat(logps, 1).tolist()
    torch.stack(ents, 1).tolist()
    return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def main():
    opts = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    batch = opts.get("batch", 64)
    steps = opts.get("steps", 5)
    new_tokens = CONTEXT - PROMPT
    model = TinyTransformer()
    params = sum(p.numel() for p in model.parameters())
    g = torch.Generator().manual_seed(1)
    prompts = torch.randint(1, VOCAB, (batch, PROMPT), generator=g)
    rollout_ms(model, prompts[:2], 2, 0)  # warm-up
    runs = [rollout_ms(model, prompts, new_tokens, i) for i in range(max(1, math.ceil(steps / 2)))]
    rolls = [r[0] for r in runs]
    roll = median(rolls)
    tokens = torch.randint(1, VOCAB, (batch, CONTEXT), generator=g)
    times, cpu = train_step_ms(model, tokens, steps)
    tps = lambda ms: batch * new_tokens / (ms / 1000)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch": batch,
        "seqLen": CONTEXT,
        "params": params,
        "rolloutTokensPerSec": tps(roll),
        "rolloutTokensPerSecMin": tps(max(rolls)),
        "rolloutTokensPerSecMax": tps(min(rolls)),
        "rolloutMs": roll,
        "trainStepMs": median(times),
        "trainStepMsMin": min(times),
        "trainStepMsMax": max(times),
        "trainStepCpuMs": median(cpu),
        "rolloutCpuMs": median([r[1] for r in runs]),
    }))


if __name__ == "__main__":
    main()
