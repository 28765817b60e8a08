"""Llama-2-70B-chat on OpenOrca (ROUGE-1/2/L and tokens per sample)."""
