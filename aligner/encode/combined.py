"""Several encoders as one model: each member embeds every sentence, and the vectors are joined
so that the cosine of two joined vectors is the members' cosines mixed by fixed shares.

A member is scaled by the square root of its share before joining; members return unit vectors
and the shares sum to 1, so the joined vector is a unit vector too, and everything downstream
(spans, baselines, margins, mining) works on it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from aligner.errors import AlignerError
from aligner.languages import base_code

if TYPE_CHECKING:
    from aligner.encode import Encoder


def covers(encoder: Encoder, lang: str) -> bool:
    """Whether ``encoder`` was trained on ``lang`` (an encoder that does not say covers all)."""
    languages = getattr(encoder, "languages", None)
    return languages is None or base_code(lang) in languages


class CombinedEncoder:
    """Members and their shares of the mixed cosine; ``name``, ``fitted`` and ``weights`` join
    the members' own with ``+``."""

    def __init__(self, members: Sequence[Encoder], shares: Sequence[float]) -> None:
        if len(members) != len(shares) or len(members) < 2:
            raise ValueError("a combined encoder needs two or more members, each with a share")
        if min(shares) <= 0:
            raise ValueError(f"member shares must be positive, got {list(shares)}")
        total = float(sum(shares))
        self.members = tuple(members)
        self.shares = tuple(float(share) / total for share in shares)
        self.name = "+".join(member.name for member in members)
        self.fitted = "+".join(getattr(member, "fitted", member.name) for member in members)
        self.dim = sum(member.dim for member in members)

    @property
    def weights(self) -> str:
        return "+".join(str(getattr(member, "weights", "unknown")) for member in self.members)

    def combine(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        """Join each member's vectors of the same sentences, scaled by the root of its share."""
        scaled = [np.sqrt(share) * part for share, part in zip(self.shares, parts, strict=True)]
        return np.hstack(scaled).astype(np.float32, copy=False)

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        return self.combine([member.encode(sentences) for member in self.members])

    def covering(self, langs: Iterable[str]) -> Encoder:
        """The members that cover every one of ``langs``, as one encoder: a member trained
        without one of them would embed its sentences as noise. The shares of those that stay
        keep their proportions; a single member that stays is returned as itself, with its own
        fitted values."""
        langs = list(langs)
        kept = [k for k, member in enumerate(self.members) if all(covers(member, lang) for lang in langs)]
        if not kept:
            raise AlignerError(f"no member of model {self.name!r} covers all of {', '.join(langs)}")
        if len(kept) == len(self.members):
            return self
        if len(kept) == 1:
            return self.members[kept[0]]
        return CombinedEncoder([self.members[k] for k in kept], [self.shares[k] for k in kept])
