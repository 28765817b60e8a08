"""DLRM-v2 (torchrec's DLRM_DCN) in plain PyTorch, with torchrec's parameter names.

The names (``sparse_arch.embedding_bag_collection.embedding_bags.t_cat_k.weight``,
``dense_arch.model._mlp.0._linear.weight``, ``inter_arch.crossnet.V_kernels.0``,
``over_arch.model.1.weight``, ...) are the reference snapshot's, less the ``model.`` prefix of
its training wrapper, so the published weights load without torchrec.

Forward pass, for n rows: dense MLP 13 -> 512 -> 256 -> 128 (ReLU after each layer); 26
sum-pooled embedding bags of dim 128; x0 = [dense, emb_0, ..., emb_25] (3456 features); three
low-rank cross layers x <- x0 * (W (V x) + b) + x; over MLP 3456 -> 1024 -> 1024 -> 512 -> 256
(ReLU) then a linear layer to one logit. The embedding lookup is split from the rest so that the
tables can live in other processes (see ``sharded.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .criteo import DENSE_FEATURES, MULTI_HOT_SIZES

TABLE_ROWS = (40000000, 39060, 17295, 7424, 20265, 3, 7122, 1543, 63, 40000000, 3067956, 405282, 10, 2209,
              11938, 155, 4, 976, 14, 40000000, 40000000, 40000000, 590152, 12973, 108, 36)
TABLE_PREFIX = "sparse_arch.embedding_bag_collection.embedding_bags."


@dataclass(frozen=True)
class DLRMConfig:
    table_rows: tuple[int, ...] = TABLE_ROWS
    embedding_dim: int = 128
    dense_layers: tuple[int, ...] = (512, 256, 128)
    over_layers: tuple[int, ...] = (1024, 1024, 512, 256, 1)
    dcn_layers: int = 3
    dcn_rank: int = 512
    dense_in: int = DENSE_FEATURES

    @property
    def interaction_width(self) -> int:
        return (len(self.table_rows) + 1) * self.embedding_dim


def table_name(k: int) -> str:
    return f"{TABLE_PREFIX}t_cat_{k}.weight"


def config_from_shapes(shapes: dict[str, tuple[int, ...]]) -> DLRMConfig:
    """The architecture a state dict describes (the tiny demo model and the real one alike)."""
    tables = [shapes[table_name(k)] for k in range(len(MULTI_HOT_SIZES))]

    def layers(prefix: str) -> list[int]:
        out = []
        while f"{prefix}{len(out)}._linear.weight" in shapes:
            out.append(shapes[f"{prefix}{len(out)}._linear.weight"][0])
        return out

    dcn = 0
    while f"inter_arch.crossnet.V_kernels.{dcn}" in shapes:
        dcn += 1
    return DLRMConfig(
        table_rows=tuple(t[0] for t in tables), embedding_dim=tables[0][1],
        dense_layers=tuple(layers("dense_arch.model._mlp.")),
        over_layers=(*layers("over_arch.model.0._mlp."), shapes["over_arch.model.1.weight"][0]),
        dcn_layers=dcn, dcn_rank=shapes["inter_arch.crossnet.V_kernels.0"][0],
        dense_in=shapes["dense_arch.model._mlp.0._linear.weight"][1])


class Perceptron(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self._linear = nn.Linear(n_in, n_out)

    def forward(self, x):
        return torch.relu(self._linear(x))


class MLP(nn.Module):
    def __init__(self, n_in: int, sizes):
        super().__init__()
        self._mlp = nn.Sequential(*[Perceptron(a, b) for a, b in zip((n_in, *sizes[:-1]), sizes)])

    def forward(self, x):
        return self._mlp(x)


class DenseArch(nn.Module):
    def __init__(self, n_in: int, sizes):
        super().__init__()
        self.model = MLP(n_in, sizes)

    def forward(self, x):
        return self.model(x)


class OverArch(nn.Module):
    def __init__(self, n_in: int, sizes):
        super().__init__()
        self.model = nn.Sequential(MLP(n_in, sizes[:-1]), nn.Linear(sizes[-2], sizes[-1]))

    def forward(self, x):
        return self.model(x)


class LowRankCrossNet(nn.Module):
    def __init__(self, width: int, layers: int, rank: int):
        super().__init__()
        self.W_kernels = nn.ParameterList([nn.Parameter(torch.empty(width, rank)) for _ in range(layers)])
        self.V_kernels = nn.ParameterList([nn.Parameter(torch.empty(rank, width)) for _ in range(layers)])
        self.bias = nn.ParameterList([nn.Parameter(torch.zeros(width)) for _ in range(layers)])
        for w, v in zip(self.W_kernels, self.V_kernels):
            nn.init.xavier_normal_(w)
            nn.init.xavier_normal_(v)

    def forward(self, x0):
        x = x0
        for w, v, b in zip(self.W_kernels, self.V_kernels, self.bias):
            x = x0 * (nn.functional.linear(nn.functional.linear(x, v), w) + b) + x
        return x


class InteractionDCNArch(nn.Module):
    def __init__(self, crossnet: LowRankCrossNet):
        super().__init__()
        self.crossnet = crossnet

    def forward(self, dense, pooled):
        return self.crossnet(torch.cat((dense.unsqueeze(1), pooled), dim=1).flatten(1))


class EmbeddingBagCollection(nn.Module):
    """Sum-pooled tables ``t_cat_k``; ``tables`` picks which ones this process holds. With
    ``empty`` the storage is allocated on ``device`` and left uninitialised (weights are loaded next)."""

    def __init__(self, cfg: DLRMConfig, tables=None, device=None, empty: bool = False):
        super().__init__()
        keep = range(len(cfg.table_rows)) if tables is None else tables

        def bag(rows: int) -> nn.EmbeddingBag:
            weight = torch.empty(rows, cfg.embedding_dim, device=device) if empty else None
            return nn.EmbeddingBag(rows, cfg.embedding_dim, mode="sum", _weight=weight, device=device)

        self.embedding_bags = nn.ModuleDict({f"t_cat_{k}": bag(cfg.table_rows[k]) for k in keep})

    def forward(self, sparse: dict[int, torch.Tensor]) -> torch.Tensor:
        """``sparse[k]``: (n, multi-hot size k) indices -> (n, tables held, dim), in table order."""
        return torch.stack([bag(sparse[int(name[6:])]) for name, bag in self.embedding_bags.items()], dim=1)


class SparseArch(nn.Module):
    def __init__(self, cfg: DLRMConfig, tables=None, device=None, empty: bool = False):
        super().__init__()
        self.embedding_bag_collection = EmbeddingBagCollection(cfg, tables, device, empty)

    def forward(self, sparse):
        return self.embedding_bag_collection(sparse)

    def close(self) -> None:
        """Nothing to stop: the tables live in this process (``sharded.ShardedTables`` has workers)."""


class DLRM_DCN(nn.Module):  # noqa: N801 - torchrec's name
    def __init__(self, cfg: DLRMConfig, with_tables: bool = True, device=None, empty: bool = False):
        super().__init__()
        self.cfg = cfg
        if with_tables:
            self.sparse_arch = SparseArch(cfg, device=device, empty=empty)
        self.dense_arch = DenseArch(cfg.dense_in, cfg.dense_layers)
        self.inter_arch = InteractionDCNArch(LowRankCrossNet(cfg.interaction_width, cfg.dcn_layers, cfg.dcn_rank))
        self.over_arch = OverArch(cfg.interaction_width, cfg.over_layers)

    def logits(self, dense: torch.Tensor, pooled: torch.Tensor) -> torch.Tensor:
        """Dense features (n, 13) and pooled embeddings (n, 26, dim) -> logits (n,)."""
        return self.over_arch(self.inter_arch(self.dense_arch(dense), pooled)).squeeze(-1)

    def forward(self, dense, sparse):
        return self.logits(dense, self.sparse_arch(sparse))


def build_empty(cfg: DLRMConfig, device, with_tables: bool = True) -> DLRM_DCN:
    """The module on ``device``, tables uninitialised (nothing is drawn for 97 GiB of tables;
    the 16 M dense parameters are initialised and then overwritten, which costs little)."""
    return DLRM_DCN(cfg, with_tables, device, empty=True).to(device).eval()


def build_tables(cfg: DLRMConfig, tables, device) -> SparseArch:
    return SparseArch(cfg, tables, device, empty=True).eval()
