"""Shared pieces of the LLM benchmarks (gpt-j, llama2-70b, mixtral-8x7b): the prompt QSL, the generation
engine and backend, the tokenizers, ROUGE scoring and what their accuracy commands take from the harness."""
