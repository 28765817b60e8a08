"""Speech recognition benchmarks: one sub-package per benchmark."""
