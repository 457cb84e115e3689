#!/usr/bin/env python3
"""Notice Pipeline entry point: ``python build.py --help``."""

import sys

from builder.cli import main

if __name__ == "__main__":
    sys.exit(main())
