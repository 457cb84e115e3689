"""Notice Pipeline: Chinese government-style news site, feeds and loudspeaker scripts."""

__version__ = "0.1.0"
