"""Scoring assets the LLM benchmarks share, declared once (imports only harness.declaration)."""

from harness.declaration import Artifact

_WHEEL = ("https://files.pythonhosted.org/packages/8c/20/60be179aaba858981edbe18eab106ff485967a9d3b198f8c58496cad9e32/"
          "llama_index_core-0.14.25-py3-none-any.whl")

# nltk's punkt_tab data: no PyPI package carries it alone, but this wheel holds nltk's official zip.
PUNKT = Artifact(
    name="punkt",
    path="nltk/llama_index_core-0.14.25-py3-none-any.whl",
    sha256="caa7d9c5ac9b13dc33400cf8d5e92e689b6d1e4497eb9bfa50d6f52ca2eb22a1",
    size=11928254,
    sources=(_WHEEL,),
    member=("llama_index/core/_static/nltk_cache/tokenizers/punkt_tab.zip", "nltk/punkt_tab.zip"),
    licence="Apache-2.0 (nltk_data punkt_tab, carried unchanged in the llama-index-core wheel, MIT)",
)
