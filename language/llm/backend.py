"""The SUT the LLM benchmarks share: one engine, length-sorted Offline batches, resume-aware.

In Offline every loaded sample will be asked for, so batches are cut from all loaded prompts
sorted by length (language.llm.batching), except what a resumed run stored; other scenarios
generate what was asked, longest first. Every response has at least the 2 tokens LoadGen's token
latencies need (``pad_short``).
"""

from __future__ import annotations

from harness.contract import Backend

from .batching import LengthSortedBatches
from .generation import Engine, load_model, pad_short


def vllm_engine(run, settings: dict, pad_id: int, stop_tail):
    """ENGINE=vllm: the model in vLLM; EOS as the checkpoint's generation config names it."""
    import json

    from .vllm_engine import VllmEngine

    folder = run.artifact_path("model")
    eos = set()
    for name in ("generation_config.json", "config.json"):  # as generation.eos_ids: the first that names one
        found = json.loads((folder / name).read_text()).get("eos_token_id") if (folder / name).is_file() else None
        if found is not None and not eos:
            eos = set(found if isinstance(found, list) else [found]) - {None}
    return VllmEngine(folder, run.config.data_type, settings, pad_id, eos or {pad_id}, stop_tail)


class GenerationBackend(Backend):
    """``settings`` are the reference's ``generate`` keywords (also the resume store's key); the
    pad token is EOS in all three benchmarks. A benchmark with a per-row generation rule passes the
    engine's ``logits_processors`` hook and says in ``row_flags`` what each row gets."""

    def __init__(self, dataset, run, settings: dict, pad_id: int, logits_processors=None, stop_tail=None):
        super().__init__(dataset, run)
        config = run.config
        self.batch_size, self.pad_id, self.settings = max(1, config.batch_size), pad_id, dict(settings)
        self.engine_name = config.options.get("ENGINE", "hf")
        if self.engine_name == "vllm":  # stop_tail: the vLLM form of a per-row stop rule (see vllm_engine)
            self.engine = vllm_engine(run, self.settings, pad_id, stop_tail)
            self.batch_size = 1 << 30  # Offline: every loaded prompt at once, vLLM batches continuously
        else:
            model = load_model(run.artifact_path("model"), config.data_type, config.device)
            self.engine = Engine(model, self.settings, pad_id, logits_processors)
        self.sorted_batches, self.stored = None, set()
        if config.scenario == "Offline":
            self.sorted_batches = LengthSortedBatches(
                self._generate, lambda i: len(dataset.prompt_ids(i)),
                lambda: [i for i in dataset.loaded() if i not in self.stored], self.batch_size)

    def row_flags(self, indices) -> list | None:
        """One value per index for the engine's ``logits_processors`` hook; None: no per-row rule."""
        return None

    def cache_settings(self) -> dict:
        """The generate keywords, and the engine when it is not the default hf (so stores written
        before ENGINE existed still answer hf runs)."""
        return dict(self.settings, **({"engine": self.engine_name} if self.engine_name != "hf" else {}))

    def skip_stored(self, indices) -> None:
        self.stored = set(indices)

    def _generate(self, indices: list[int]):
        return self.engine.generate([self.dataset.prompt_ids(i) for i in indices], self.row_flags(indices))

    @property
    def continuous(self) -> bool:
        """ENGINE=vllm schedules requests itself: Server queries reach it as LoadGen issues them."""
        return self.engine_name == "vllm"

    def submit(self, indices, first_token, done) -> None:
        indices = list(indices)

        def finished(row: int, tokens) -> None:
            done(row, tokens if isinstance(tokens, BaseException) else pad_short(tokens, self.pad_id))

        self.engine.submit([self.dataset.prompt_ids(i) for i in indices], self.row_flags(indices), first_token,
                           finished)

    def cancel(self) -> None:
        if self.engine_name == "vllm":
            self.engine.cancel()

    def close(self) -> None:
        if self.engine_name == "vllm":
            self.engine.close()

    def predict(self, indices):
        indices = list(indices)
        if self.sorted_batches is not None:
            outputs = self.sorted_batches.outputs(indices)
        else:
            outputs = self.engine.generate_sorted([self.dataset.prompt_ids(i) for i in indices], self.batch_size,
                                                  self.row_flags(indices), self.on_first_token)
        return [pad_short(tokens, self.pad_id) for tokens in outputs]
