# The PyTorch baseline of the train-step bench: the seed's model (docs/algorithm.md) in plain PyTorch, one training
# step (forward, backward, Adam) per request. Run by bench/pytorch.ts, not by hand: it reads one JSON request per
# line on stdin, {"variant": "per-x" | "shared", "batch": B, "subset": M}, and answers each with {"ms": <wall
# milliseconds of the step>}; the thread counts come from OMP_NUM_THREADS and OPENBLAS_NUM_THREADS, set by the bench.
# per-x draws one D per x and encodes all B·M subset rows, as the seed's code does; shared draws one D per class of
# 10 (the default uvhe step's sharing) and encodes each distinct subset row once. Images are uniform random pixels in [0, 1]: dense products do not depend on values.
import json
import sys
import time

import torch
from torch import nn

P, H, CODE, CLASSES, POOL = 784, 512, 20, 10, 8000


def mlp(inp, out):
    return nn.Sequential(nn.Linear(inp, H), nn.ReLU(True), nn.Linear(H, out))


class Seed(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_mu, self.c_logstd = mlp(P, CODE), mlp(P, CODE)
        self.z_mu, self.z_logstd = mlp(P + CODE, CODE), mlp(P + CODE, CODE)
        self.p_mu, self.p_logstd = mlp(CODE, CODE), mlp(CODE, CODE)
        self.decode = mlp(2 * CODE, P)

    def loss(self, x, subset_rows, gather, m):
        # subset_rows: [U, P] encoded once each; gather: [B·M] indices into them, D of example b at b·M .. b·M+M-1.
        b = x.shape[0]
        qc_mu = self.c_mu(subset_rows)[gather].view(b, m, CODE).mean(1)
        qc_s = self.c_logstd(subset_rows)[gather].view(b, m, CODE).mean(1)
        c = qc_mu + qc_s.exp() * torch.randn_like(qc_mu)
        xc = torch.cat([x, c], 1)
        qz_mu, qz_s = self.z_mu(xc), self.z_logstd(xc)
        z = qz_mu + qz_s.exp() * torch.randn_like(qz_mu)
        pz_mu, pz_s = self.p_mu(c), self.p_logstd(c)
        logits = self.decode(torch.cat([z, c], 1))
        rec = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl_c = (-qc_s - 0.5 + ((2 * qc_s).exp() + qc_mu.pow(2)) / 2).sum() / m
        kl_z = (pz_s - qz_s - 0.5 + ((2 * qz_s).exp() + (qz_mu - pz_mu).pow(2)) / (2 * (2 * pz_s).exp())).sum()
        return rec + kl_c + kl_z


def main():
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(3)
    images = torch.rand(POOL, P, generator=gen)
    labels = torch.arange(POOL) % CLASSES
    members = [torch.nonzero(labels == k).flatten() for k in range(CLASSES)]
    model = Seed()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(json.dumps({'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        b, m = req['batch'], req['subset']
        rows = torch.randint(POOL, (b,), generator=gen)
        if req['variant'] == 'shared':
            per_class = torch.stack([k[torch.randint(len(k), (m,), generator=gen)] for k in members])
            subset = per_class[labels[rows]].flatten()
        else:
            subset = torch.stack([members[int(labels[r])][torch.randint(POOL // CLASSES, (m,), generator=gen)] for r in rows]).flatten()
        t0 = time.perf_counter()
        if req['variant'] == 'shared':
            distinct, gather = torch.unique(subset, return_inverse=True)
        else:
            distinct, gather = subset, torch.arange(b * m)
        opt.zero_grad(set_to_none=True)
        model.loss(images[rows], images[distinct], gather, m).backward()
        opt.step()
        print(json.dumps({'ms': (time.perf_counter() - t0) * 1000}), flush=True)


if __name__ == '__main__':
    main()
