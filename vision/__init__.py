"""Vision benchmarks: one sub-package per benchmark."""
