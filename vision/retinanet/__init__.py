"""RetinaNet (ResNeXt50-32x4d FPN, 800x800) on the MLPerf OpenImages validation subset."""
