"""Deploy failures that are not the builder's bug: exit code 4 (environment), 2 (usage)."""

from __future__ import annotations

ENVIRONMENT = 4
USAGE = 2


class DeployError(Exception):
    """The target is unreachable, refuses us, or a tool is missing; the message is Chinese."""

    def __init__(self, message: str, code: int = ENVIRONMENT):
        super().__init__(message)
        self.message = message
        self.code = code
