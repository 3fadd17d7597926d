"""Progress as a callback: the stages report ``Step``s, and whoever runs them decides what to show.

The slow stages (loading the model, encoding, grouping a collection, aligning) call a
``Progress`` callback with how far they are; they never draw anything themselves.
``TerminalBars`` turns the steps into tqdm bars on stderr, which the CLI does on a terminal and
the API with ``progress=True``; ``LogLines`` prints a line now and then, which the CLI does
when stderr is a file or a pipe (nohup, Slurm, CI).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

TICK_SECONDS = 0.5
"""How often an open bar is redrawn while a step runs."""

LINE_SECONDS = 10.0
"""How often ``LogLines`` reports a running stage; a stage that ends sooner prints nothing."""


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


class LogLines:
    """A line on stderr for a stage at most every ``LINE_SECONDS``, such as
    ``aligner: encoding 5,120/72,687 sent (7%), 45 s, about 9 min left``, and one when a stage
    that printed ends; a stage that ends sooner prints nothing, so short runs stay quiet."""

    def __init__(self, every: float | None = None) -> None:
        self.every = LINE_SECONDS if every is None else every
        self._started: dict[str, float] = {}
        self._printed: dict[str, float] = {}

    def __call__(self, step: Step) -> None:
        now = time.monotonic()
        started = self._started.setdefault(step.stage, now)
        last = self._printed.get(step.stage, started)
        ended = step.done >= step.total
        if now - last >= self.every or (ended and step.stage in self._printed):
            self._printed[step.stage] = now
            print(f"aligner: {_describe(step, now - started)}", file=sys.stderr, flush=True)
        if ended:
            self._started.pop(step.stage, None)
            self._printed.pop(step.stage, None)


def _describe(step: Step, seconds: float) -> str:
    line = f"{step.stage} {step.done:,}/{step.total:,} {step.unit}"
    if step.total:
        line += f" ({step.done / step.total:.0%})"
    line += f", {_duration(seconds)}"
    if 0 < step.done < step.total:
        line += f", about {_duration(seconds * (step.total - step.done) / step.done)} left"
    return line + (f" [{step.detail}]" if step.detail else "")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


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
