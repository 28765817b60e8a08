"""Shared pieces of the LLM benchmarks (gpt-j, llama2-70b, mixtral-8x7b): generation and ROUGE scoring."""
