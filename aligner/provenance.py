"""How a result was made: toolkit version, encoder, fitted values, settings, date.

Like sacrebleu's signature, a ``Provenance`` travels with every result and is written with
every output (a TMX header property, the first JSONL record, an ``OUT.meta.json`` beside TSV,
``.align`` and Moses files, and ``aligner report``'s JSON), so that a corpus can say what
produced it and be produced again. ``str()`` gives the one-line signature::

    aligner:0.3.0|encoder:e5-small@st|weights:1f0c53a2e4b7|fitted:e5-small|settings:default
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aligner.fitted import Fitted
from aligner.settings import Settings, resolve
from aligner.version import __version__

if TYPE_CHECKING:
    from aligner.encode import Encoder


def _now() -> str:
    """The current time in UTC, or ``$SOURCE_DATE_EPOCH``'s where it is set, so that a build
    that must be reproducible byte for byte (reproducible-builds.org) can fix it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        if epoch and epoch.isdigit()
        else datetime.datetime.now(datetime.timezone.utc)
    )
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Provenance:
    encoder: str
    """The encoder's name (model and backend), as in the embedding cache."""
    weights: str
    """A short hash of the encoder's weights ("unknown" where the encoder does not say)."""
    fitted: str
    """Whose fitted values scored the result (``aligner/fitted/NAME.json``)."""
    settings: dict[str, object] = field(default_factory=dict)
    """Settings that differ from the defaults (``Settings.changes``)."""
    version: str = __version__
    created: str = field(default_factory=_now)
    """When the result was made, in UTC (ISO 8601)."""

    @classmethod
    def of(
        cls, settings: Settings, fitted: Fitted, encoder: str = "unknown", weights: str = "unknown"
    ) -> Provenance:
        """The provenance of a result made now with ``settings``, whose fitted values came from
        ``fitted``, by ``encoder`` (its name and a short hash of its ``weights``)."""
        return cls(encoder, weights, fitted.encoder, settings.changes(fitted))

    def __str__(self) -> str:
        settings = ",".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in self.settings.items())
        return (
            f"aligner:{self.version}|encoder:{self.encoder}|weights:{self.weights}|fitted:{self.fitted}"
            f"|settings:{settings or 'default'}"
        )

    @classmethod
    def from_json(cls, record: dict) -> Provenance:
        """The provenance that ``to_json`` wrote as ``record``."""
        return cls(
            record["encoder"], record["weights"], record["fitted"], dict(record["settings"]),
            record["version"], record["created"],
        )  # fmt: skip

    def to_json(self) -> dict:
        """A JSON-ready record: the fields and the one-line ``signature``."""
        return {
            "toolkit": "aligner",
            "version": self.version,
            "encoder": self.encoder,
            "weights": self.weights,
            "fitted": self.fitted,
            "settings": self.settings,
            "created": self.created,
            "signature": str(self),
        }


def settled(settings: Settings | None, encoder: Encoder) -> tuple[Settings, Provenance]:
    """``settings`` completed with the values fitted for ``encoder``, and the provenance of what
    they will make (an encoder object of the user's may not say whose fitted values suit it,
    nor its weights' hash)."""
    settings, fitted = resolve(settings, getattr(encoder, "fitted", encoder.name))
    return settings, Provenance.of(settings, fitted, encoder.name, getattr(encoder, "weights", "unknown"))
