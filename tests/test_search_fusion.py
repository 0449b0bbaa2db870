"""Hybrid fusion: order, the strong lexical-only rule, and the quality metrics the benchmark relies on."""

from ipoc.search.fusion import FusedHit, fuse


def test_documents_found_by_both_sides_lead():
    lexical = [("a", 9.0), ("b", 8.0), ("c", 7.0)]
    semantic = [("c", 0.91), ("d", 0.90), ("b", 0.89)]
    hits = fuse(lexical, semantic, k=10)
    assert [h.id for h in hits][:2] == ["c", "b"]  # ranks 3+1 beat 2+3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    top = hits[0]
    assert top == FusedHit("c", top.score, 3, 1, 0.91)
    assert hits[-1].id in {"a", "d"} and len(hits) == 4


def test_strong_lexical_only_hit_survives_weak_one_does_not():
    lexical = [("exact-title", 20.0), ("weak", 2.0)]
    semantic = [("s1", 0.90), ("s2", 0.89)]
    hits = {h.id: h for h in fuse(lexical, semantic, k=10)}
    assert "exact-title" in hits and hits["exact-title"].sim is None and hits["exact-title"].semantic_rank is None
    assert "weak" not in hits
    assert {"s1", "s2"} <= hits.keys()


def test_semantic_floor_rejecting_everything_leaves_strong_lexical_hits():
    hits = fuse([("x", 5.0), ("y", 4.5), ("z", 0.5)], [], k=10)
    assert [h.id for h in hits] == ["x", "y"]


def test_k_limits_and_empty_inputs():
    assert fuse([], [], k=5) == []
    hits = fuse([(i, 10.0 - i * 0.01) for i in range(50)], [(i, 0.9) for i in range(50)], k=5)
    assert [h.id for h in hits] == [0, 1, 2, 3, 4]
