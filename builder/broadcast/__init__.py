"""The broadcast half (村村响 / 应急广播): loudspeaker scripts from notices.

One module, one concern:

- :mod:`.settings`  the ``broadcast:``/``regions:`` sections of ``site.yaml`` and the pronunciation lexicon
- :mod:`.script`    a :class:`~.script.Script` for every published notice (validated, normalized): the plan
- :mod:`.draft`     the automatic draft (摘编) made from a notice's body when no script is written
- :mod:`.speech`    text normalization: numbers, dates, times, phone numbers and symbols as spoken Chinese
- :mod:`.playlist`  daily playlists per day and region
- :mod:`.ssml`      SSML 1.1 documents for TTS platforms
- :mod:`.cap`       CAP 1.2 alerts for warnings
- :mod:`.pinyin`    pinyin segments (SSML phonemes, audio)
- :mod:`.audio`     WAV files through espeak-ng
- :mod:`.outputs`   every file under ``output/broadcast/`` (phase two)
"""
