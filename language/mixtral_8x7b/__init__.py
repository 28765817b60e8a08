"""Mixtral-8x7B-Instruct on OpenOrca, GSM8K and MBXP (ROUGE, exact match, pass@1, tokens per sample)."""
