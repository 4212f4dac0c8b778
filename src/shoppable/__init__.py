"""Shoppable: the commerce layer for videos, lives and creator profiles."""

__version__ = "0.1.0"
