"""ipoc: the platform for Inner Mongolia's industry IP operation centers."""

__version__ = "0.1.0"
