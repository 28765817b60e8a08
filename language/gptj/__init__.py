"""GPT-J 6B summarisation of CNN/DailyMail (ROUGE-1/2/L and GEN_LEN)."""
