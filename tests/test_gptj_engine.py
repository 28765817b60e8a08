"""The generation engine's padding, EOS cut, placement and settings, without a model."""

from __future__ import annotations

import numpy as np

from language.gptj.backend import generation_settings
from language.llm.generation import cut_after_eos, left_pad, placement


def test_left_padding_puts_prompts_at_the_right_edge():
    ids, mask = left_pad([np.array([5, 6, 7]), np.array([9])], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 9]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert ids.dtype == mask.dtype == np.int64


def test_rows_end_at_their_first_eos_as_a_batch_of_one_stops():
    assert cut_after_eos(np.array([4, 2, 50256, 50256, 50256]), {50256}).tolist() == [4, 2, 50256]
    assert cut_after_eos(np.array([4, 2, 3]), {50256}).tolist() == [4, 2, 3]


def test_several_gpus_share_the_model_only_for_plain_cuda_or_auto():
    assert placement("cuda", 4) == {"device_map": "auto"} and placement("auto", 4) == {"device_map": "auto"}
    assert placement("cuda:1", 4) == {} and placement("cuda", 1) == {} and placement("cpu", 0) == {}


def test_reference_generation_settings():
    assert generation_settings() == {"early_stopping": True, "max_new_tokens": 128, "min_new_tokens": 30,
                                     "num_beams": 4, "do_sample": False}


def test_offline_batches_are_cut_from_all_loaded_prompts_sorted_by_length():
    from language.llm.batching import LengthSortedBatches

    lengths = {0: 3, 1: 9, 2: 1, 3: 8, 4: 2, 5: 7}
    calls = []

    def generate(indices):
        calls.append([lengths[i] for i in indices])
        return [np.array([lengths[i]]) for i in indices]

    batches = LengthSortedBatches(generate, lengths.__getitem__, lambda: list(lengths), batch_size=2)
    assert [o.tolist() for o in batches.outputs([0, 1])] == [[3], [9]]  # LoadGen's chunk: mixed lengths
    assert calls == [[7, 3], [9, 8]]  # ... generated in the sorted batches (9 8 | 7 3 | 2 1) holding them
    assert [o.tolist() for o in batches.outputs([2, 3])] == [[1], [8]]
    assert calls[2:] == [[2, 1]]  # 3 was ready from the first call
    assert [o.tolist() for o in batches.outputs([4, 5])] == [[2], [7]] and len(calls) == 3
    # performance mode: one query may repeat a sample, and a later query may ask for it again
    assert [o.tolist() for o in batches.outputs([1, 1, 0])] == [[9], [9], [3]]
    assert [o.tolist() for o in batches.outputs([1])] == [[9]]


def test_device_auto_loads_on_the_cpu_here(tmp_path):
    import torch
    from transformers import GPTJConfig, GPTJForCausalLM

    from language.llm.generation import load_model

    GPTJForCausalLM(GPTJConfig(n_embd=16, n_layer=1, n_head=2, vocab_size=64, n_positions=32)).save_pretrained(tmp_path)
    model = load_model(tmp_path, "float32", "auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(model.parameters()).device.type == expected
