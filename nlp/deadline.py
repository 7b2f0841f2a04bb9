"""A cooperative time limit for one file: readers and stages call `check` in their loops.

A thread cannot be stopped from outside in Python, so a slow file is stopped from inside: each
loop asks the deadline whether time is up, and a `FileTimeoutError` ends the file with one line.
"""

from __future__ import annotations

import time

from nlp.errors import FileTimeoutError


class Deadline:
    """`Deadline(60).check("læser punkter")` raises once 60 s have passed since it was made."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expires = None if seconds is None else self.started + seconds

    def expired(self) -> bool:
        return self.expires is not None and time.monotonic() >= self.expires

    def check(self, where: str = "") -> None:
        if self.expired():
            raise FileTimeoutError(f"gav op efter {self.seconds:g} s: {where or 'filen tager for lang tid'}")


def check(deadline: Deadline | None, where: str = "") -> None:
    """`deadline.check(where)` when there is a deadline; readers take `deadline=None`."""
    if deadline is not None:
        deadline.check(where)
