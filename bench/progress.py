"""Progress lines on stderr: stdout carries only the result table (or JSON)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            sys.stderr.write(f"[bench {elapsed:7.1f}s] {message}\n")
            sys.stderr.flush()

    def counter(self, what: str, total: int, *, every: float = 2.0) -> Counter:
        return Counter(self, what, total, every)


class Counter:
    """Reports `done/total` at most every `every` seconds, and once at the end."""

    def __init__(self, progress: Progress, what: str, total: int, every: float) -> None:
        self.progress = progress
        self.what = what
        self.total = total
        self.every = every
        self.done = 0
        self.started = time.monotonic()
        self.last = 0.0

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.done >= self.total or now - self.last >= self.every:
            self.last = now
            rate = self.done / max(now - self.started, 1e-9)
            pct = 100.0 * self.done / self.total if self.total else 100.0
            self.progress.say(
                f"{self.what}: {self.done:,}/{self.total:,} ({pct:.0f}%, {rate:,.0f}/s)"
            )
