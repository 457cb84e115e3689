"""Browser test suite (Playwright + Debian Chromium); see docs/accessibility.md."""
