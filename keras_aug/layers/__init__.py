"""Augmentation layers, one module per family."""
