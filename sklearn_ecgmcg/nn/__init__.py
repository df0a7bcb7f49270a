"""PyTorch building blocks: encoders, heads, losses, augmentations."""
