"""Average-linkage (UPGMA) grouping with a threshold and a veto, for languages and documents alike.

Both the merging of versions (most parallel first) and the grouping of a collection's documents
join the two closest clusters, where the closeness of two clusters is the mean closeness of
their member pairs, until none is close enough. ``scipy.cluster.hierarchy`` has no veto, which
a collection needs (a group holds one document per language).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def average_linkage(
    closeness: np.ndarray,
    min_closeness: float = -np.inf,
    labels: Sequence[Hashable] | None = None,
    joined_last: bool = True,
) -> tuple[list[tuple[list[int], list[int]]], list[list[int]]]:
    """Join the two closest clusters of items (``closeness``: symmetric, one row per item) while
    their closeness reaches ``min_closeness``; two clusters whose items share one of ``labels``
    (one per item, such as a document's language) never join.

    Returns the joins in order, each as ``(members_x, members_y)``, and the final clusters.
    A tie goes to the pair first in cluster order, and a join's ``x`` is the earlier of its two
    clusters. Clusters start as the items in input order; a joined cluster is put last
    (``joined_last``: the order in which versions merge) or where its earlier part was (the
    order of a collection's documents).
    """
    size = len(closeness)
    mean = np.array(closeness, dtype=np.float64)
    members: dict[int, list[int]] = {k: [k] for k in range(size)}
    kinds = sorted(set(labels)) if labels is not None else []
    has_label = np.array([[label == kind for kind in kinds] for label in labels or []], dtype=np.int64)
    has_label = has_label.reshape(size, len(kinds))
    order = list(range(size))  # slots of the live clusters, in cluster order
    joins: list[tuple[list[int], list[int]]] = []
    while len(order) > 1:
        view = mean[np.ix_(order, order)]
        live = has_label[order]
        allowed = np.triu(live @ live.T == 0, k=1)
        candidates = np.where(allowed, view, -np.inf)
        # argmax takes the first maximum in row-major order: the first pair in cluster order
        p, q = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
        if not candidates[p, q] >= min_closeness or candidates[p, q] == -np.inf:
            break
        x, y = order[p], order[q]
        joins.append((members[x], members[y]))
        weights = np.array([len(members[x]), len(members[y])], dtype=np.float64)
        # UPGMA: the joined cluster's closeness is the size-weighted mean of its parts'
        mean[x] = (weights @ mean[[x, y]]) / weights.sum()
        mean[:, x] = mean[x]
        has_label[x] |= has_label[y]
        members[x] = members[x] + members.pop(y)
        order = [k for k in order if k != y]
        if joined_last:
            order = [k for k in order if k != x] + [x]
    return joins, [members[k] for k in order]
