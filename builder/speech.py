"""Documented entry point kept for editors' scripts: ``python -m builder.speech`` and
``from builder.speech import normalize, to_spoken, has_unspoken``.  The code lives in
:mod:`builder.broadcast.speech`."""

from .broadcast.speech import *  # noqa: F401,F403
from .broadcast.speech import SpeechNote, has_unspoken, main, normalize, to_spoken  # noqa: F401

if __name__ == "__main__":
    raise SystemExit(main())
