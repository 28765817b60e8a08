"""Text-to-image benchmarks: one sub-package per benchmark."""
