"""The body store: bodies appended to per-process pack files, found again by digest."""

from __future__ import annotations

import os

from builder.cache import BodyStore


def test_bodies_round_trip_across_processes(tmp_path):
    store = BodyStore(tmp_path)
    assert store.write("a" * 32, "<p>会议强调，</p>")
    pid = os.fork()
    if pid == 0:  # a forked worker writes into a pack of its own
        ok = store.write("b" * 32, "<p>停水通知</p>")
        os._exit(0 if ok else 1)
    assert os.waitpid(pid, 0)[1] == 0
    store.refresh()
    assert store.read("a" * 32) == "<p>会议强调，</p>"
    assert store.read("b" * 32) == "<p>停水通知</p>"
    assert store.read("c" * 32) is None
    assert len([n for n in os.listdir(tmp_path) if n.endswith(".bin")]) == 2


def test_truncated_pack_is_a_miss_not_garbage(tmp_path):
    store = BodyStore(tmp_path)
    store.write("a" * 32, "<p>" + "正文" * 100 + "</p>")
    store.close()
    pack = next(tmp_path.glob("*.bin"))
    pack.write_bytes(pack.read_bytes()[:50])
    assert BodyStore(tmp_path).read("a" * 32) is None


def test_prune_deletes_dead_packs_and_merges_small_ones(tmp_path):
    store = BodyStore(tmp_path)
    for i in range(BodyStore.MAX_PACKS + 5):  # one pack per "build"
        store.write(f"{i:032d}", f"<p>第{i}篇</p>")
        store.close()
    store.write("f" * 32, "<p>已删除的通知</p>")
    store.close()
    keep = {f"{i:032d}" for i in range(BodyStore.MAX_PACKS + 5)}
    store.prune(keep)
    packs = list(tmp_path.glob("*.bin"))
    assert len(packs) <= BodyStore.MAX_PACKS
    fresh = BodyStore(tmp_path)
    assert all(fresh.read(d) == f"<p>第{int(d)}篇</p>" for d in keep)
    assert fresh.read("f" * 32) is None


def test_prune_rewrites_a_mostly_dead_pack(tmp_path):
    store = BodyStore(tmp_path)
    big = "<p>" + "旧" * 800_000 + "</p>"  # ~2.4 MB that no notice uses any more
    store.write("d" * 32, big)
    store.write("a" * 32, "<p>仍在使用</p>")
    store.close()
    store.prune({"a" * 32})
    assert sum(p.stat().st_size for p in tmp_path.glob("*.bin")) < 1000
    assert BodyStore(tmp_path).read("a" * 32) == "<p>仍在使用</p>"


def test_prune_keeps_its_index_right_without_reading_it_again(tmp_path, monkeypatch):
    """After pruning, the build reads the bodies it kept through the index it already has (reading
    every index file again took ~0.1 s at 100,000 notices); dead ones are gone from it."""
    import pytest

    store = BodyStore(tmp_path)
    store.write("a" * 32, "<p>旧版本</p>")
    store.close()
    store.write("b" * 32, "<p>新版本</p>")
    store.close()
    store.write("d" * 32, "<p>" + "旧" * 800_000 + "</p>")  # ~2.4 MB that no notice uses any more
    store.write("c" * 32, "<p>仍在使用</p>")
    store.close()
    store.prune({"b" * 32, "c" * 32})  # a's pack is deleted, c is copied out of d's mostly dead one
    monkeypatch.setattr(BodyStore, "_load_index", lambda self: pytest.fail("the index was read again"))
    assert store.read("b" * 32) == "<p>新版本</p>" and store.read("c" * 32) == "<p>仍在使用</p>"
    assert store.read("a" * 32) is None and store.read("d" * 32) is None
    assert len(list(tmp_path.glob("*.bin"))) == 2
    monkeypatch.undo()
    fresh = BodyStore(tmp_path)
    assert fresh.read("b" * 32) == "<p>新版本</p>" and fresh.read("c" * 32) == "<p>仍在使用</p>"
