"""DLRM-v2 (DCNv2) on the multi-hot Criteo day 23 validation half (ROC AUC)."""
