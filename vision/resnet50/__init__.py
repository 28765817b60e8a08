"""ResNet50-v1.5 on the ImageNet 2012 validation set."""
