"""ims: information management for humanitarian mine action."""

__version__ = "0.1.0"
