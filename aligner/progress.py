"""Progress as a callback: the stages report ``Step``s, and whoever runs them decides what to show.

The slow stages (encoding, grouping a collection, aligning) call a ``Progress`` callback with
how far they are; they never draw anything themselves. ``TerminalBars`` turns the steps into
tqdm bars on stderr, which the CLI does on a terminal and the API with ``progress=True``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

TICK_SECONDS = 0.5
"""How often an open bar is redrawn while a step runs."""


@dataclass(frozen=True)
class Step:
    """``done`` of ``total`` units of work of one stage; a stage ends when ``done == total``
    (its total may still change on the way, as when merges turn out not to be made)."""

    stage: str
    done: int
    total: int
    detail: str = ""
    """What is being worked on now, such as the language pair being aligned."""
    unit: str = "step"


Progress = Callable[[Step], None]


def report(
    progress: Progress | None, stage: str, done: int, total: int, detail: str = "", unit: str = "step"
) -> None:
    """Call ``progress`` with a ``Step``, if there is a callback."""
    if progress is not None:
        progress(Step(stage, done, total, detail, unit))


class TerminalBars:
    """A tqdm bar on stderr per running stage, whose clock keeps running during a long step
    (aligning two long versions is one step of up to a minute), so that a busy run never
    looks frozen."""

    def __init__(self) -> None:
        self._bars: dict[str, tqdm] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop.set()
        self._tickers: list[threading.Thread] = []
        """Threads that redraw the open bars; each ends when the last bar closes, or on ``close``."""

    def __call__(self, step: Step) -> None:
        from tqdm import tqdm

        with self._lock:
            bar = self._bars.get(step.stage)
            if bar is None:
                bar = self._bars[step.stage] = tqdm(total=step.total, desc=step.stage, unit=step.unit)
                self._start_ticker()
            bar.total = step.total
            if step.detail:
                bar.set_postfix_str(step.detail)
            bar.update(step.done - bar.n)
            if step.done >= step.total:
                bar.close()
                del self._bars[step.stage]
                if not self._bars:
                    self._stop.set()

    def _start_ticker(self) -> None:
        if not self._stop.is_set():
            return
        stop = self._stop = threading.Event()

        def tick() -> None:
            while not stop.wait(TICK_SECONDS):
                with self._lock:
                    for bar in self._bars.values():
                        bar.refresh()

        ticker = threading.Thread(target=tick, name="aligner-progress", daemon=True)
        ticker.start()
        self._tickers = [t for t in self._tickers if t.is_alive()] + [ticker]

    def close(self) -> None:
        """Stop the clock and close the bars of stages that did not end (an error, Ctrl-C)."""
        self._stop.set()
        for ticker in self._tickers:
            ticker.join()
        self._tickers = []
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()


@contextmanager
def callback(progress: bool | Progress | None) -> Iterator[Progress | None]:
    """The callback for an API's ``progress`` argument: True draws bars on stderr for the
    duration, False or None reports nothing, a callable is used as it is."""
    if progress is True:
        bars = TerminalBars()
        try:
            yield bars
        finally:
            bars.close()
    else:
        yield progress or None
