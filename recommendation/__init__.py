"""Recommendation benchmarks: one sub-package per benchmark."""
