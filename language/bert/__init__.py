"""BERT-Large question answering on the SQuAD v1.1 development set (F1 and exact match)."""
