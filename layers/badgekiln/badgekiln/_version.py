"""The package version: a leaf every module (the fetcher's User-Agent, the CLI, packaging) reads."""

__all__ = ["__version__"]

__version__ = "0.1.0"
