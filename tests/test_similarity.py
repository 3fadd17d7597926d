import numpy as np
import pytest

from aligner.similarity import MAX_UNRELATED, row_norms, unit_rows, unrelated_similarity


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_norms_are_numpys_bit_for_bit(dtype):
    # every score and table was measured with np.linalg.norm: the shortcut must not move a bit
    vectors = np.random.default_rng(0).normal(size=(50, 384)).astype(dtype)
    assert np.array_equal(row_norms(vectors), np.linalg.norm(vectors, axis=1, keepdims=True))


def test_unit_rows_keep_a_zero_row_zero():
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.array_equal(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_unrelated_similarity_is_the_mean_cosine_capped():
    rng = np.random.default_rng(1)
    a, b = unit_rows(rng.normal(size=(7, 16))), unit_rows(rng.normal(size=(9, 16)))
    assert unrelated_similarity(a, b) == pytest.approx(float((a @ b.T).mean()))
    assert unrelated_similarity(a[:1], a[:1]) == MAX_UNRELATED < 1.0  # a sentence with itself
    assert unrelated_similarity(a, b[:0]) == 0.0
