"""Deprecated: ``aligner.view`` under its 0.1 name (which shadowed the standard library's
``inspect``), kept importable for one release."""

import warnings

from aligner.view import plot_coverage, plot_path, plot_scores, save_plots, show, similarity_matrix, to_html

warnings.warn("aligner.inspect is deprecated: use aligner.view", DeprecationWarning, stacklevel=2)

__all__ = ["plot_coverage", "plot_path", "plot_scores", "save_plots", "show", "similarity_matrix", "to_html"]
