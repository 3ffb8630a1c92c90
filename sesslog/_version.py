"""The version of sesslog (the single source: the package build reads it from here)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
