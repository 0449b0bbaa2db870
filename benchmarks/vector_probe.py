"""Vector index at scale: build time, memory, query latency and recall of exact numpy vs usearch HNSW.

The corpus is synthetic: the real CCF passage vectors (cache from benchmarks/embed_ccf_cache.py) replicated and
perturbed with Gaussian noise (cosine ~0.93 to the source), since embedding 1M passages takes days here. Queries
are real query embeddings. Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
from embed_ccf_cache import DEFAULT_OUT, load_cache

from ipoc.search.vectors import DIM, Embedder, VectorIndex

QUERIES = [
    "锂离子电池防爆安全技术",
    "光伏板积雪自动清除",
    "煤矿瓦斯抽采钻孔封孔",
    "风电机组低电压穿越",
    "稀土永磁材料制备",
    "氢燃料电池控制系统",
    "车辆号牌图像倾斜校正",
    "根据用户特征个性化推荐广告",
    "高炉出铁烟尘收集",
    "电动汽车有序充电调度",
    "钢轨钢冶炼中降低磷含量",
    "地铁站台屏蔽门安全防护",
]
CHUNK = 50_000


def emit(figure: str, value: float, unit: str, records: int) -> None:
    print(json.dumps({"figure": figure, "value": round(value, 3), "unit": unit, "records": records}), flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory now (not the peak), from /proc."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def synthetic_chunk(real: np.ndarray, start: int, size: int) -> np.ndarray:
    """Rows start..start+size of the synthetic corpus, reproducible chunk by chunk."""
    rng = np.random.default_rng(start)
    rows = real[np.arange(start, start + size) % len(real)] + rng.normal(0, 0.02, (size, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def latency(index: VectorIndex, qvecs: np.ndarray, k: int, repeat: int = 20) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        for q in qvecs:
            started = time.perf_counter()
            index.search(q, k)
            times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--quantization", default="f16", choices=["f16", "i8"])
    parser.add_argument("--save", default="/tmp/ipoc-vector-probe")
    args = parser.parse_args()
    cache = load_cache(DEFAULT_OUT)
    if cache is None:
        raise SystemExit(f"run benchmarks/embed_ccf_cache.py first (no cache in {DEFAULT_OUT})")
    real, n = cache[1], args.size
    qvecs = np.stack([Embedder.shared().query(q) for q in QUERIES])
    # Exact reference, kept as float16 the way the database stores it (pack), 768 MB at 1M.
    chunks = [synthetic_chunk(real, s, min(CHUNK, n - s)).astype(np.float16) for s in range(0, n, CHUNK)]
    exact_f16 = np.concatenate(chunks)
    del chunks
    base = rss_mb()
    started = time.perf_counter()
    index = VectorIndex.empty(n, exact_limit=min(n - 1, 300_000), quantization=args.quantization)
    for s in range(0, n, CHUNK):
        index.add(np.arange(s, min(s + CHUNK, n)), exact_f16[s : s + CHUNK].astype(np.float32))
    emit(f"hnsw build ({args.quantization})", time.perf_counter() - started, "s", n)
    emit("hnsw resident memory added", rss_mb() - base, "MB", n)
    for k in (20, 100):
        p50, p95 = latency(index, qvecs, k)
        emit(f"hnsw query k={k} p50", p50, "ms", n)
        emit(f"hnsw query k={k} p95", p95, "ms", n)
    recalls = []
    for q in qvecs:
        sims = np.concatenate([exact_f16[s : s + CHUNK].astype(np.float32) @ q for s in range(0, n, CHUNK)])
        truth = np.argsort(-sims)[:100]
        found = index.search(q, 100)[0]
        sources = set(truth[:10] % len(real))  # the real patents behind the synthetic copies
        recalls.append(
            (
                len(set(truth[:10]) & set(found[:10])) / 10,
                len(set(truth) & set(found)) / 100,
                len(sources & set(found[:10] % len(real))) / len(sources),
            )
        )
    emit("hnsw recall@10 vs exact", float(np.mean([r[0] for r in recalls])), "", n)
    emit("hnsw recall@100 vs exact", float(np.mean([r[1] for r in recalls])), "", n)
    emit("hnsw source-patent recall@10 vs exact", float(np.mean([r[2] for r in recalls])), "", n)
    started = time.perf_counter()
    index.save(args.save)
    emit("hnsw save", time.perf_counter() - started, "s", n)
    del index
    started = time.perf_counter()
    VectorIndex.load(args.save)
    emit("hnsw load", time.perf_counter() - started, "s", n)
    exact = VectorIndex(np.arange(min(n, 300_000)), exact_f16[:300_000].astype(np.float32))
    p50, p95 = latency(exact, qvecs, 100, repeat=5)
    emit("exact query k=100 p50", p50, "ms", len(exact))
    emit("exact query k=100 p95", p95, "ms", len(exact))
    emit("peak resident memory (includes the float16 reference copy)", peak_mb(), "MB", n)


if __name__ == "__main__":
    main()
