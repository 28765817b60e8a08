"""RNN-T on LibriSpeech dev-clean (word error rate)."""
