"""Vectors: storage packing, exact and HNSW search, persistence, incremental updates, the calibrated floor."""

from pathlib import Path

import numpy as np
import pytest

from ipoc.config import Settings
from ipoc.search.vectors import (
    DIM,
    VectorIndex,
    pack,
    passage_hash,
    passage_text,
    unpack,
    unpack_many,
)


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def near(vec: np.ndarray, seed: int = 1, noise: float = 0.02) -> np.ndarray:
    out = vec + noise * np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return out / np.linalg.norm(out)


def test_pack_round_trip_keeps_vectors_and_neighbours():
    rows = unit_rows(200)
    blobs = [pack(r) for r in rows]
    assert all(len(b) == DIM * 2 for b in blobs)
    back = unpack_many(blobs)
    assert np.abs(back - rows).max() < 1e-3
    assert np.array_equal(unpack(blobs[7]), back[7])
    q = near(rows[3])
    assert np.array_equal(np.argsort(-(rows @ q))[:10], np.argsort(-(back @ q))[:10])


def test_passage_text_joins_trims_and_hashes():
    text = passage_text("  一种  锂电池 ", "正极\n材料。")
    assert text == "一种 锂电池\n正极 材料。"
    assert passage_text("标题", None) == "标题"
    long = passage_text("标题", "很长的摘要" * 400)
    assert len(long) < 2000 and long.startswith("标题\n很长的摘要")
    assert passage_hash(text) == passage_hash("一种 锂电池\n正极 材料。") != passage_hash(long)
    assert len(passage_hash(text)) == 64


@pytest.mark.parametrize("exact_limit", [10_000, 50])
def test_search_finds_the_perturbed_source(exact_limit):
    rows = unit_rows(500)
    index = VectorIndex(np.arange(1000, 1500), rows, exact_limit=exact_limit)
    assert index.mode == ("exact" if exact_limit > 500 else "hnsw")
    ids, sims = index.search(near(rows[42]), 5)
    assert ids[0] == 1042 and sims[0] > 0.9
    assert list(sims) == sorted(sims, reverse=True)


def test_exact_and_hnsw_agree_on_top_k():
    rows = unit_rows(800, seed=3)
    ids = np.arange(800) * 7 + 3
    exact, hnsw = VectorIndex(ids, rows), VectorIndex(ids, rows, exact_limit=100)
    assert (exact.mode, hnsw.mode) == ("exact", "hnsw")
    top1, overlap = [], []
    for seed in range(20):
        q = near(rows[seed * 13], seed=seed, noise=0.03)
        a, sa = exact.search(q, 10)
        b, sb = hnsw.search(q, 10)
        top1.append(a[0] == b[0] and abs(sa[0] - sb[0]) < 0.02)  # i8 quantisation moves similarities a little
        overlap.append(len(set(a) & set(b)) / 10)
    # HNSW is approximate and its multi-threaded build is not deterministic; random 384-d data is its worst case.
    assert np.mean(top1) >= 0.9 and np.mean(overlap) >= 0.8  # ranks 5-10 of random data are near-ties


@pytest.mark.parametrize("exact_limit", [10_000, 50])
def test_save_and_load_keep_the_index(tmp_path: Path, exact_limit):
    rows = unit_rows(300)
    index = VectorIndex(np.arange(300), rows, exact_limit=exact_limit)
    index.save(tmp_path / "vectors")
    index.save(tmp_path / "vectors")  # replacing an existing save works
    loaded = VectorIndex.load(tmp_path / "vectors")
    assert loaded.mode == index.mode and len(loaded) == 300
    q = near(rows[17])
    assert list(loaded.search(q, 5)[0]) == list(index.search(q, 5)[0])
    with pytest.raises(ValueError):
        VectorIndex.load(tmp_path / "missing")


@pytest.mark.parametrize("exact_limit", [10_000, 50])
def test_add_replace_and_remove(exact_limit):
    rows = unit_rows(120)
    index = VectorIndex(np.arange(100), rows[:100], exact_limit=exact_limit)
    index.add(np.arange(100, 120), rows[100:])
    assert len(index) == 120 and 110 in index
    assert index.search(near(rows[110]), 1)[0][0] == 110
    index.remove([110, 5, 99999])
    assert len(index) == 118 and 110 not in index and 5 not in index
    assert 110 not in index.search(near(rows[110]), 10)[0]
    index.add([7], rows[110:111])  # replacing a vector moves the id to the new place
    assert len(index) == 118
    assert index.search(near(rows[110]), 1)[0][0] == 7
    assert float(index.vector(7) @ rows[110]) > 0.99
    assert index.vector(110) is None


def test_growing_past_the_exact_limit_switches_to_hnsw():
    rows = unit_rows(150)
    index = VectorIndex(np.arange(100), rows[:100], exact_limit=120)
    assert index.mode == "exact"
    index.add(np.arange(100, 150), rows[100:])
    assert index.mode == "hnsw" and len(index) == 150
    assert index.search(near(rows[3]), 1)[0][0] == 3
    assert index.search(near(rows[140]), 1)[0][0] == 140


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        VectorIndex(np.array([1, 1]), unit_rows(2))
    with pytest.raises(ValueError):
        VectorIndex(np.array([1, 2, 3]), unit_rows(2))


# A tiny real corpus: twenty passages written for this test (patent-like titles with one-line abstracts); the
# calibration needs a background, and ten passages give too few directions to estimate one.
TINY_CORPUS = [
    ("一种锂离子电池正极材料及其制备方法", "以磷酸铁锂为基体包覆碳层，提高电池的倍率性能和循环寿命。"),
    ("一种光伏组件自动清扫装置", "清扫刷沿光伏板移动，清除灰尘和积雪，提高发电效率。"),
    ("一种稀土永磁体的晶界扩散方法", "在钕铁硼磁体表面涂覆重稀土并热处理，提高矫顽力。"),
    ("风力发电机组低电压穿越控制方法", "电网电压跌落时控制变流器，使风电机组不脱网运行。"),
    ("一种煤矿瓦斯抽采钻孔封孔装置", "采用囊袋注浆封孔，防止钻孔塌孔，提高瓦斯抽采浓度。"),
    ("一种车牌图像倾斜校正方法", "检测字符上边缘拟合直线，旋转校正车牌图像。"),
    ("一种氢燃料电池双极板", "采用不锈钢冲压成形并镀覆导电涂层，降低接触电阻。"),
    ("一种高炉出铁口除尘装置", "在出铁口上方设置顶吸罩，收集出铁过程中产生的烟尘。"),
    ("一种水性油墨及其制备方法", "以丙烯酸乳液为连接料，低挥发性有机物，环保。"),
    ("一种电动汽车有序充电调度方法", "根据电网负荷和用户需求优化充电时段，降低峰谷差。"),
    ("一种口罩耳带焊接机", "超声波焊头将耳带焊接在口罩本体两侧，自动送料。"),
    ("一种钙钛矿太阳能电池的制备方法", "旋涂钙钛矿前驱体溶液并退火，得到致密的吸光层。"),
    ("一种基于深度学习的广告推荐方法", "根据用户画像和浏览行为预测点击率，推荐广告。"),
    ("一种骨科手术用固定支架", "可调节夹持组件固定患肢，便于术中操作和换药。"),
    ("一种转炉炼钢脱磷工艺", "控制炉渣碱度和温度，降低钢水中的磷含量。"),
    ("一种地铁站台安全门", "站台门与列车门联动，防止乘客跌落轨道。"),
    ("一种无线通信中的自适应调制编码方法", "根据信道质量选择调制方式和编码速率，提高吞吐量。"),
    ("一种土工膜铺设装置", "卷材在支架上转动展开，平整铺设防渗膜。"),
    ("一种核电站反应堆保护系统测试装置", "向保护系统注入模拟信号，验证停堆功能。"),
    ("一种稀土掺杂发光材料", "在基质中掺杂铕离子，得到高亮度红色荧光粉。"),
]


@pytest.fixture(scope="module")
def tiny_semantic():
    from ipoc.search.vectors import Calibration, Embedder

    embedder = Embedder.shared()
    matrix = embedder.passages([passage_text(t, a) for t, a in TINY_CORPUS])
    return embedder, VectorIndex(np.arange(len(TINY_CORPUS)), matrix), Calibration.fit(matrix)


def test_embedder_returns_normalised_vectors(tiny_semantic):
    embedder, index, _ = tiny_semantic
    q = embedder.query("光伏板积雪清除")
    assert q.shape == (DIM,) and q.dtype == np.float32 and abs(np.linalg.norm(q) - 1) < 1e-3
    assert embedder.passages([]).shape == (0, DIM)
    assert len(index) == len(TINY_CORPUS)


UNRELATED = ["足球比赛的越位规则", "红烧肉的做法", "how to bake bread"]


@pytest.mark.parametrize("query", UNRELATED)
def test_calibration_rejects_unrelated_queries_on_a_tiny_corpus(tiny_semantic, query):
    from ipoc.search.vectors import semantic_search

    embedder, index, calibration = tiny_semantic
    hits = semantic_search(index, calibration, embedder.query(query), 5)
    assert len(hits) == 5  # the nearest are still returned, with their verdict
    # Twenty passages give a rough background (z cannot exceed ~sqrt(n)), so allow "almost nothing" here; the
    # test on the real corpus below demands nothing.
    assert len([h for h in hits if h[2]]) <= 1


CCF_CACHE = Settings().data_dir / "quality-vectors"  # written by `make quality` (benchmarks/embed_ccf_cache.py)


@pytest.mark.skipif(
    not (CCF_CACHE / "vectors.npy").exists(),
    reason=f"no CCF vector cache in {CCF_CACHE} (`make quality` writes it once, ~15 min)",
)
def test_calibration_on_the_real_corpus_rejects_unrelated_and_keeps_related():
    from ipoc.search.vectors import Calibration, Embedder, semantic_search

    matrix = np.load(CCF_CACHE / "vectors.npy")
    index, calibration, embedder = (
        VectorIndex(np.arange(len(matrix)), matrix),
        Calibration.fit(matrix),
        Embedder.shared(),
    )
    for query in UNRELATED:
        assert not [h for h in semantic_search(index, calibration, embedder.query(query), 20) if h[2]], query
    for query in ["光伏板积雪自动清除", "风电机组低电压穿越", "稀土永磁材料", "口罩耳带焊接设备"]:
        assert [h for h in semantic_search(index, calibration, embedder.query(query), 20) if h[2]], query


@pytest.mark.parametrize(
    ("query", "expected"),
    [("光伏板上的积雪怎么自动清除", 1), ("风电机组电网电压跌落时不脱网", 3), ("煤矿瓦斯抽采钻孔防塌孔", 4)],
)
def test_calibration_keeps_related_queries(tiny_semantic, query, expected):
    from ipoc.search.vectors import semantic_search

    embedder, index, calibration = tiny_semantic
    passed = [i for i, _, ok in semantic_search(index, calibration, embedder.query(query), 5) if ok]
    assert passed and passed[0] == expected


def test_calibration_round_trips_through_a_dict(tiny_semantic):
    import json

    from ipoc.search.vectors import Calibration

    _, _, calibration = tiny_semantic
    data = json.loads(json.dumps(calibration.to_dict()))
    again = Calibration.from_dict(data)
    q = calibration.adjusted_query(unit_rows(1)[0])
    assert np.allclose(again.z(q, np.array([0.1, 0.5])), calibration.z(q, np.array([0.1, 0.5])))
    assert again.floor(10) == calibration.floor(10) < calibration.floor(1_000_000)
    with pytest.raises(ValueError):
        Calibration.from_dict({"version": 99})


def test_calibration_z_matches_the_corpus_background():
    from ipoc.search.vectors import Calibration

    rows = unit_rows(3000, seed=5) + 0.3 * unit_rows(1, seed=6)  # anisotropic, like real embeddings
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    calibration = Calibration.fit(rows, off_topic=unit_rows(8, seed=7))
    q = calibration.adjusted_query(unit_rows(1, seed=8)[0])
    z = calibration.z(q, rows @ q)
    assert abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.1


def test_the_floor_judges_the_query_and_an_on_topic_one_keeps_its_neighbours(tiny_semantic):
    from ipoc.search.vectors import on_topic_hits, semantic_search

    embedder, index, calibration = tiny_semantic
    need = "需求内容：1）新能源汽车驱动电机用钕铁硼磁体需要高矫顽力；2）采用晶界扩散降低重稀土用量。"
    qvec = embedder.long_query(need)
    kept = on_topic_hits(index, calibration, qvec, 8)
    assert kept[0][0] == 2  # the grain-boundary diffusion patent
    assert len(kept) == 8 > len([ok for _, _, ok in semantic_search(index, calibration, qvec, 8) if ok])
    assert [s for _, s in kept] == sorted((float(s) for s in index.search(qvec, 8)[1]), reverse=True)
    off_topic = [q for q in UNRELATED if not semantic_search(index, calibration, embedder.query(q), 1)[0][2]]
    assert len(off_topic) >= 2
    for query in off_topic:
        assert on_topic_hits(index, calibration, embedder.long_query(query), 8) == [], query


def test_a_need_longer_than_the_window_is_embedded_by_its_sentences():
    from ipoc.search.vectors import Embedder, query_parts

    embedder = Embedder.shared()
    need = "。".join(f"第{i}项：研究稀土永磁材料晶界扩散工艺并降低重稀土用量" for i in range(60)) + "。"
    parts = query_parts(need, embedder.token_count)
    assert len(parts) > 1 and all(embedder.token_count(p) <= 512 for p in parts)
    assert "".join(parts) == need
    vector = embedder.long_query(need)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    assert query_parts("稀土永磁", embedder.token_count) == ["稀土永磁"]


def test_a_query_under_the_floor_counts_when_its_words_found_one_of_its_nearest(tiny_semantic):
    import dataclasses

    from ipoc.search.vectors import on_topic_hits

    embedder, index, calibration = tiny_semantic
    qvec = embedder.long_query("钕铁硼磁体晶界扩散降低重稀土用量")
    q = calibration.adjusted_query(qvec)
    ids, sims = index.search(q, 1)
    best = float(calibration.z(q, sims)[0]) - (calibration.floor(len(index)) - calibration.z_floor)
    under = dataclasses.replace(calibration, z_floor=best + 1.0)
    assert on_topic_hits(index, under, qvec, 5) == []
    assert on_topic_hits(index, under, qvec, 5, agreeing={99}) == []  # the words found other patents
    assert on_topic_hits(index, under, qvec, 5, agreeing={int(ids[0])})[0][0] == int(ids[0]) == 2
