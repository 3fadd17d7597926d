"""Every tunable value of the pipeline, in one frozen object that is stored on each result.

``Settings()`` is the default. Values fitted to an encoder (the bead model, the calibration of
row scores, the mining threshold) are ``None`` here, meaning "those fitted for the encoder"
(``aligner.fitted``); ``with_fitted`` fills them in, and ``changes`` lists what a settings
object sets differently from the defaults, which every output records as its provenance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace

from aligner.fitted import DEFAULT_FITTED, BeadModel, Fitted, load


@dataclass(frozen=True)
class AlignmentSettings:
    """The pairwise alignment: the DP over beads and its search (``aligner.pairwise``)."""

    max_bead: int = 5
    """Largest m + n of a bead: 5 allows 1-4, 2-3, 3-2 and 4-1."""
    max_long_bead: int = 9
    """Largest m + n of a bead where the best path fills a bead of ``max_bead``: the stretch
    around it is searched again with beads up to this size (``aligner.pairwise.long_merges``)."""
    full_search_cells: int = 250_000
    """Documents up to this many sentence pairs are searched in full; longer ones in a band."""
    band_margin: int = 12
    """Units on either side of the coarse path that the fine search may move."""
    max_unsure_stretch: int = 400
    """Longest side, in units, of a stretch of weak coarse beads that the fine search covers whole."""
    min_chain_held: float = 0.5
    """How many of two versions' mutual best matches their path must hold, in lengths of the
    longest chain of those matches; fewer, the path is searched again between the chain's
    matches alone (``aligner.pairwise.search``)."""
    max_widened_cells: int = 4_000_000
    """Most cells of a search widened from the band around the coarse path to the mutual best
    matches outside it, or of a search again between the chain's matches
    (``aligner.pairwise.search``)."""
    coarse_null_shift: float = -4.0
    """How much more an insertion or deletion costs in the coarse passes, which only have to find
    the way and should take weak matches rather than skip stretches."""
    ratio_min_similarity: float = 0.1
    """Similarity (above unrelated) over which a first-pass match measures the length ratio."""
    max_length_ratio_disagreement: float = 0.5
    """How far (as a natural log) the length ratio of two sides' mutual best matches may stray
    from that of their totals before the first pass takes it instead: further, one side lacks
    much of the other's text (``aligner.pairwise.gains.excerpt_length_log_ratio``)."""
    typical_sample: int = 1000
    """Units of each side whose best match measures a document's typical similarity (half as
    many of each side look for the mutual best matches of ``max_length_ratio_disagreement``)."""
    typical_quantile: float = 0.75
    """The quantile of those best matches taken as typical: a quarter of the units may lack a
    counterpart without lowering it."""
    bead_model: BeadModel | None = None
    """How beads are valued; None: the model fitted for the encoder."""
    lexical_bead_model: BeadModel | None = None
    """How beads are valued in the pass that also sees lexical evidence (``LexicalSettings``);
    None: the one fitted for the encoder, if any (an encoder without one has no lexical pass)."""


@dataclass(frozen=True)
class LexicalSettings:
    """Lexical evidence learned from the input itself (``aligner.lexical``): a translation table
    learned from a first pass's confident matches, pooled over every document pair of a
    language pair in the run, and a second pass that sees it."""

    enabled: bool = True
    """Whether to run the lexical pass (where the encoder has a model fitted for it)."""
    confident_share: float = 0.7
    """The share of a first-pass alignment's matches, the most similar, that teach the lexicon
    (a share rather than a similarity: how alike translations look depends on the encoder and
    the language pair)."""
    max_bead: int = 3
    """Largest m + n of a first-pass match that teaches the lexicon: larger ones are more often
    partly wrong, and pair every word with more words."""
    dims: int = 256
    """Dimensions the lexical vectors are hashed into: their dot products stray from the exact
    ones by about one over the square root of this."""
    max_examples: int = 5_000
    """Most matches the lexicon learns from (evenly spaced over the run): the table settles long
    before, and Model 1's work grows with the matches' words."""


@dataclass(frozen=True)
class MergeSettings:
    """Merging versions into one table, joining moved passages, and scoring rows."""

    min_parallelism: float = 0.4
    """Share of sentences with a clear counterpart below which two of three or more versions (or
    two documents of a collection) are taken for different texts; of three or more versions, one
    that has this share of its own sentences with a sure counterpart in another (a summary, an
    excerpt) joins that one's group (``aligner.merge``)."""
    translation_parallelism: float = 0.2
    """Parallelism below which two versions are not translations of each other, even partial
    ones (two articles on one topic, or unrelated texts), unless one of them has this share of
    its own sentences with a sure counterpart (a summary, an excerpt: ``aligner.merge``):
    aligning them warns, and each of their rows that links them is scored as what it most
    likely is, a chance pairing (``aligner.scoring.chance_pairings``)."""
    clear_match: float = 0.3
    """Similarity (above unrelated) over which a match counts as a clear counterpart."""
    neighbour_rows: int = 5
    """How far, in rows, an unaligned unit's counterpart is looked for."""
    join_moved: bool = True
    """Join sentences that a version moved elsewhere to the rows where the others have them (such
    rows leave document order in that version); False keeps every version in document order,
    moved sentences as insertions and deletions, as tools that read ``.align`` files expect."""
    moved_min_similarity: float = 0.5
    """Similarity, in typical matches of the language pair, from which an unaligned sentence and
    a row without its language that are each other's best match may be joined out of order:
    half a typical match, the line between a weak and a real match throughout the aligner."""
    moved_block_gap: int = 2
    """Rows within which two joined sentences count as one moved passage, and sentences a moved
    passage may skip (aligned elsewhere) and still be one stretch (``aligner.moved``)."""
    max_unaligned_share: float = 0.5
    """Share of a version's sentences left unaligned above which none of them is taken for moved."""
    calibration: dict[str, tuple[float, ...]] | None = None
    """Per row kind, the logistic coefficients of row scores (``aligner.fitted.Fitted.calibration``);
    None: fitted for the encoder."""


@dataclass(frozen=True)
class CollectionSettings:
    """Grouping the documents of a collection into versions of one text (``aligner.collection``)."""

    candidate_share: float = 0.2
    """Pairs whose quick estimate of parallelism (the share of sentences in clear mutual best
    matches) stays below this are not aligned sentence by sentence: half of the default
    ``MergeSettings.min_parallelism``, which skips most unrelated pairs and no translation."""


@dataclass(frozen=True)
class MiningSettings:
    """Mining sentence pairs from comparable documents (``aligner.mine``)."""

    neighbours: int = 4
    """Nearest neighbours in the margin's denominator, as in the literature."""
    threshold: float | None = None
    """Lowest ratio margin of a mined pair; None: the threshold fitted for the encoder."""


@dataclass(frozen=True)
class ReportSettings:
    """What ``aligner report`` and the views flag as deserving a look (``aligner.report``)."""

    min_score: float = 0.5
    """Rows scored below this are more likely wrong than right (the score is a calibrated chance)."""
    max_length_z: float = 3.0
    """A length ratio this many robust standard deviations from the pair's usual one is flagged."""
    weak_merge_quantile: float = 0.1
    """An m-n unit whose similarity is below this quantile of the pair's one-to-one units' is
    flagged: a merge that holds a sentence it should not. Merges as good as most one-to-one units
    are not (a long sentence covering several is no fault)."""


@dataclass(frozen=True)
class Settings:
    """Every tunable value, by stage; ``Settings()`` is the default (see the module's docstring)."""

    alignment: AlignmentSettings = field(default_factory=AlignmentSettings)
    lexical: LexicalSettings = field(default_factory=LexicalSettings)
    merging: MergeSettings = field(default_factory=MergeSettings)
    collection: CollectionSettings = field(default_factory=CollectionSettings)
    mining: MiningSettings = field(default_factory=MiningSettings)
    report: ReportSettings = field(default_factory=ReportSettings)

    def with_fitted(self, fitted: Fitted) -> Settings:
        """These settings with every value left to the encoder taken from ``fitted``; where neither
        they nor ``fitted`` have a lexical bead model, with the lexical pass off, so that taking
        another encoder's values later does not bring one in."""
        lexical_model = self.alignment.lexical_bead_model or fitted.lexical_bead_model
        return replace(
            self,
            lexical=self.lexical if lexical_model else replace(self.lexical, enabled=False),
            alignment=replace(
                self.alignment,
                bead_model=self.alignment.bead_model or fitted.bead_model,
                lexical_bead_model=self.alignment.lexical_bead_model or fitted.lexical_bead_model,
            ),
            merging=replace(self.merging, calibration=self.merging.calibration or fitted.calibration),
            mining=replace(
                self.mining,
                threshold=fitted.mining_threshold if self.mining.threshold is None else self.mining.threshold,
            ),
        )

    @property
    def bead_model(self) -> BeadModel:
        if self.alignment.bead_model is None:
            raise ValueError("no bead model: take the fitted one with Settings.with_fitted first")
        return self.alignment.bead_model

    @property
    def calibration(self) -> dict[str, tuple[float, ...]]:
        if self.merging.calibration is None:
            raise ValueError("no calibration: take the fitted one with Settings.with_fitted first")
        return self.merging.calibration

    @property
    def mining_threshold(self) -> float:
        if self.mining.threshold is None:
            raise ValueError("no mining threshold: take the fitted one with Settings.with_fitted first")
        return self.mining.threshold

    def changes(self, fitted: Fitted | None = None) -> dict[str, object]:
        """What differs from the defaults (with ``fitted``'s values as the default of the fitted
        ones), as ``{"section.name": value}``: empty for the defaults."""
        return _differences(self, Settings().with_fitted(fitted) if fitted else Settings())


def resolve(settings: Settings | None, encoder: str = DEFAULT_FITTED) -> tuple[Settings, Fitted]:
    """``settings`` (default: ``Settings()``) completed with the values fitted for ``encoder``."""
    fitted = load(encoder)
    return (settings or Settings()).with_fitted(fitted), fitted


def _differences(value: object, default: object, prefix: str = "") -> dict[str, object]:
    if is_dataclass(value) and type(value) is type(default) and not isinstance(value, BeadModel):
        out: dict[str, object] = {}
        for item in fields(value):
            name = f"{prefix}{item.name}"
            out |= _differences(getattr(value, item.name), getattr(default, item.name), f"{name}.")
        return out
    if value == default:
        return {}
    if isinstance(value, BeadModel):
        value = value.to_json()
    elif is_dataclass(value):
        value = asdict(value)
    return {prefix.rstrip("."): value}
