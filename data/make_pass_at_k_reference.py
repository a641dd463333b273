"""Exact pass@k reference values, independent of Sweetspot's TypeScript estimator.

pass@k = 1 - C(n - c, k) / C(n, k)  (Chen et al. 2021, arXiv 2107.03374), evaluated with Python's exact
integer binomials and rational arithmetic, then rounded once to a float. Regenerate with
`python3 data/make_pass_at_k_reference.py > data/pass_at_k_reference.json` (standard library only).
"""
import json
from fractions import Fraction
from math import comb

rows = []
for n in (1, 2, 5, 10, 16, 64, 100, 256, 1000):
    cs = sorted({0, 1, 2, n // 10, n // 4, n // 2, n - 1, n} & set(range(n + 1)))
    ks = sorted({1, 2, 5, 10, 32, 64, 100, 128, 256, n // 2, n} & set(range(1, n + 1)))
    for c in cs:
        for k in ks:
            exact = 1 - Fraction(comb(n - c, k), comb(n, k))
            rows.append({"n": n, "c": c, "k": k, "passAtK": float(exact)})
print(json.dumps({
    "description": "pass@k = 1 - C(n-c,k)/C(n,k), exact rational arithmetic (Python fractions), rounded once to float64",
    "generator": "data/make_pass_at_k_reference.py",
    "rows": rows,
}, indent=0))
