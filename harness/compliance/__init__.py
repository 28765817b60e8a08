"""MLPerf Inference v4.1 compliance tests (TEST01, TEST04, TEST05, TEST06): which tests a benchmark
must pass, the audit.config each test gives LoadGen, and the checks of upstream's verification
scripts (compliance/nvidia in mlcommons/inference v4.1).

The table is keyed by the LoadGen model name because it is v4.1 submission policy, not a property
of a benchmark's code: a new round changes it here, in one place, for every benchmark.
"""

from __future__ import annotations

TESTS = ("TEST01", "TEST04", "TEST05", "TEST06")

# compliance/nvidia/*/README.md of v4.1: the tests each benchmark's submission must pass.
REQUIRED = {
    "resnet50": ("TEST01", "TEST04", "TEST05"),
    "retinanet": ("TEST01", "TEST05"),
    "bert": ("TEST01", "TEST05"),
    "dlrm-v2": ("TEST01", "TEST05"),
    "3d-unet": ("TEST01", "TEST05"),
    "rnnt": ("TEST01", "TEST05"),
    "stable-diffusion-xl": ("TEST01", "TEST04"),
    "llama2-70b": ("TEST06",),
    "mixtral-8x7b": ("TEST06",),
}

def required(loadgen_model: str) -> tuple[str, ...]:
    return REQUIRED.get(loadgen_model, ())
