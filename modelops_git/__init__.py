"""modelops-git: a Git-native lifecycle tool for ML teams."""

__version__ = "0.1.0"
__all__ = ["__version__"]
