"""Where an encoder may run, known without loading one."""

DEVICES = ("auto", "cpu", "cuda")
"""``auto`` takes a CUDA GPU where torch sees one, else the CPU (sentence-transformers only)."""

BATCH_DEVICES = ("auto", "cpu")
"""Where a batch's encoding actors run: on their workers' CPUs."""
