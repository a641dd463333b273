"""PyTorch CPU reference for bench/run.ts: the TinyTransformer of lib/policies/transformer.ts, timed the same way.

Architecture: pre-LayerNorm GPT, learned token and position embeddings, fused QKV projection with bias, causal
multi-head attention, output projection with bias, MLP d -> 4d -> d with GELU(x) ~= x * sigmoid(1.702 x), final
LayerNorm, untied output head with bias (eps 1e-5). The size (vocab, context, d, blocks, heads, batch, prompt
length) comes from bench/model.ts's ModelSize, so both sides build the same model (the parameter counts are
compared in results.json).

Held to one core: run with OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 (bench/run.ts sets them) and
torch.set_num_threads(1) / set_num_interop_threads(1) here; every answer carries the process CPU share
(process CPU time / wall time), so a reference that is not held to one core shows a share above 1.

Protocol: one JSON request per stdin line, one JSON answer per stdout line:
- {"cmd": "setup", "size": {...}}              -> {"params", "torch", "threads", "blas"}
- {"cmd": "train", "steps": n, "warmup": w}    -> {"ms": [...], "cpuMs": [...]}: Adam (lr 1e-3) steps on the
  token-mean next-token NLL over batch x context tokens;
- {"cmd": "rollout", "n": n}                   -> {"ms": [...], "cpuMs": [...]}: KV-cache sampling of
  context - prompt new tokens for `batch` prompts (log-softmax, entropy and a multinomial draw per token, as
  TinyTransformer.sample records);
- {"cmd": "quit"}.
"""

import json
import math
import sys
import time

import torch

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.d, self.heads = d, heads
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.o = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.w1 = torch.nn.Linear(d, 4 * d)
        self.w2 = torch.nn.Linear(4 * d, d)

    def forward(self, h, bias, past=None):
        B, T, D = h.shape
        dh = D // self.heads
        q, k, v = self.qkv(self.ln1(h)).split(D, dim=-1)
        q, k, v = (z.view(B, T, self.heads, dh).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        att = torch.softmax((q * (1 / math.sqrt(dh))) @ k.transpose(-1, -2) + bias, dim=-1) @ v
        h = h + self.o(att.transpose(1, 2).reshape(B, T, D))
        f = self.w1(self.ln2(h))
        h = h + self.w2(f * torch.sigmoid(1.702 * f))
        return h, (k, v)


class TinyTransformer(torch.nn.Module):
    def __init__(self, s):
        super().__init__()
        d = s["dModel"]
        self.tok = torch.nn.Embedding(s["vocabSize"], d)
        self.pos = torch.nn.Embedding(s["contextLength"], d)
        self.blocks = torch.nn.ModuleList([Block(d, s["nHeads"]) for _ in range(s["nLayers"])])
        self.lnf = torch.nn.LayerNorm(d, eps=1e-5)
        self.head = torch.nn.Linear(d, s["vocabSize"])

    def forward(self, tokens, pos, bias, past=None):
        h = self.tok(tokens) + self.pos(pos)
        kv = []
        for i, blk in enumerate(self.blocks):
            h, c = blk(h, bias, None if past is None else past[i])
            kv.append(c)
        return self.head(self.lnf(h)), kv


def causal_bias(T):
    return torch.triu(torch.full((T, T), -1e9), diagonal=1).view(1, 1, T, T)


class Bench:
    def __init__(self, size):
        torch.manual_seed(0)
        self.size = size
        self.model = TinyTransformer(size)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        B, T, V, P = size["batch"], size["contextLength"], size["vocabSize"], size["promptLength"]
        self.prompts = torch.randint(1, V, (B, P), generator=g)
        self.tokens = torch.randint(1, V, (B, T), generator=g)
        self.pos = torch.arange(T).expand(B, T)
        self.bias = causal_bias(T)
        self.seed = 0

    def step(self):
        logits, _ = self.model(self.tokens, self.pos, self.bias)
        logp = torch.log_softmax(logits[:, :-1], dim=-1)
        loss = -logp.gather(-1, self.tokens[:, 1:].unsqueeze(-1)).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        loss.item()

    @torch.no_grad()
    def rollout(self, prompts, new_tokens):
        gen = torch.Generator().manual_seed(self.seed)
        self.seed += 1
        B, P = prompts.shape
        logits, kv = self.model(prompts, torch.arange(P).expand(B, P), causal_bias(P))
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
            logits, kv = self.model(t, pos, torch.zeros(1, 1, 1, 1), kv)
            logits = logits[:, -1]
        torch.cat(out, 1).tolist()
        torch.cat(logps, 1).tolist()
        torch.stack(ents, 1).tolist()


def timed(fn, n):
    ms, cpu = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"ms": ms, "cpuMs": cpu}


def blas_info():
    cfg = torch.__config__.show()
    return [line.strip() for line in cfg.splitlines() if "BLAS" in line][:2]


def main():
    bench = None
    for line in sys.stdin:
        req = json.loads(line)
        cmd = req["cmd"]
        if cmd == "quit":
            break
        if cmd == "setup":
            bench = Bench(req["size"])
            bench.rollout(bench.prompts[:2], 2)  # warm-up
            ans = {
                "params": sum(p.numel() for p in bench.model.parameters()),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "blas": blas_info(),
            }
        elif cmd == "train":
            for _ in range(req.get("warmup", 1)):
                bench.step()
            ans = timed(bench.step, req["steps"])
        elif cmd == "rollout":
            s = bench.size
            bench.rollout(bench.prompts[:2], 2)
            ans = timed(lambda: bench.rollout(bench.prompts, s["contextLength"] - s["promptLength"]), req["n"])
        else:
            ans = {"error": f"unknown cmd {cmd!r}"}
        print(json.dumps(ans), flush=True)


if __name__ == "__main__":
    main()
