"""Early probe of the lexical index at scale (not a test): build rate and query latency with facets and snippets.

The corpus is synthetic: the 4,097 real CCF 2022 patents replicated and perturbed (sentences shuffled, title
words varied, applicants, IPC codes, dates, kinds, statuses and regions drawn at random) up to --docs records.

    .venv/bin/python benchmarks/lexical_probe.py [--docs 200000] [--queries 50]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from ipoc.search.lexical import IndexDoc, LexicalIndex
from ipoc.search.text import Segmenter

DATA = Path("/work/shared/data/cn-patents-ccf2022/patents.jsonl")
IPC = ["H01F 1/057", "C22C 38/00", "C25B 1/04", "F03D 80/40", "C07C 1/20", "A23C 19/032", "D01G 15/00",
       "H02K 21/14", "G06F 16/35", "H04L 5/00", "H01L 31/18", "C01B 3/00", "A61K 36/00", "A01H 6/82"]  # fmt: skip
REGIONS = ["包头市", "鄂尔多斯市", "呼和浩特市", "赤峰市", "乌海市", "通辽市", None]
QUERIES = [
    "稀土", "稀土永磁", "风电 叶片", "光伏 OR 多晶硅", "电解水制氢", "煤制烯烃", "奶酪 益生菌", "羊绒",
    "TI=(通信 OR 信号)", "AB=神经网络", '"深度学习"', "数据 NOT 图像", "IPC=H01F", "IPC=(C22C OR H01F1/057)",
    "AD=[2020 TO 2022] 电池", "PA=华为", "锂离子电池 正极材料", "传感器", "图像 识别", "TX=(储能 OR 储氢)",
    "车辆 控制 方法", "机器人", "\"用户设备\"", "基站 AND 信号", "区块链", "芯片 封装", "电机", "发动机",
    "温度 传感器 检测", "无人机",
]  # fmt: skip


def check_digit(body: str) -> str:
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    rest = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return "X" if rest == 10 else str(rest)


def synthetic(records: list[dict], count: int, rng: random.Random) -> list[IndexDoc]:
    applicants = sorted({r["assignee"] for r in records if r.get("assignee")})
    docs = []
    for i in range(count):
        rec = records[i % len(records)]
        sentences = [s for s in re.split(r"(?<=[。；，])", rec["abstract"]) if s]
        if i >= len(records):
            rng.shuffle(sentences)
        title = rec["title"] if i < len(records) else rec["title"] + rng.choice(["", "及其装置", "的方法", "系统"])
        body = f"{2010 + i % 14}1{i:07d}"[:12]
        day = date(2010, 1, 1) + timedelta(days=rng.randrange(14 * 365))
        docs.append(
            IndexDoc(
                patent_id=i + 1,
                application_no=f"{body}.{check_digit(body)}",
                title=title,
                abstract="".join(sentences),
                claims="1. " + "".join(sentences[:2]),
                applicants=[rec.get("assignee") or rng.choice(applicants), *rng.sample(applicants, rng.random() < 0.2)],
                inventors=[f"发明人{rng.randrange(5000)}"],
                ipc_codes=rng.sample(IPC, rng.randint(1, 3)),
                kind=rng.choice(["invention", "invention", "utility_model", "design"]),
                status_class=rng.choice(["valid", "pending", "lapsed", None]),
                application_date=day,
                publication_date=day + timedelta(days=rng.randrange(180, 720)),
                region_name=rng.choice(REGIONS),
            )
        )
    return docs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    records = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    docs = synthetic(records, args.docs, rng)
    segmenter = Segmenter()
    with tempfile.TemporaryDirectory() as tmp:
        index = LexicalIndex(Path(tmp), segmenter)
        start, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        for at in range(0, len(docs), 10_000):
            index.upsert(docs[at : at + 10_000])
        main = time.thread_time() - main
        index.commit({"revision": 1})
        build, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(json.dumps({"figure": "lexical_build_rate", "value": round(len(docs) / build), "unit": "docs/s",
                          "records": len(docs)}), flush=True)  # fmt: skip
        for name, seconds in [("lexical_build_cpu (calling thread)", main), ("lexical_build_cpu (process)", cpu)]:
            print(json.dumps({"figure": name, "value": round(seconds / len(docs) * 1e6), "unit": "us/doc",
                              "records": len(docs)}), flush=True)  # fmt: skip
        queries = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
        for query in queries[:5]:
            index.search(query)  # warm caches
        passes = [
            ("facets+snippets, cold", {}),
            ("facets+snippets, cached facets", {}),
            ("no facets", {"with_facets": False}),
        ]
        for label, kwargs in passes:
            times, totals, slowest = [], [], []
            for i, query in enumerate(queries):
                filters = {"kind": ["invention"]} if i % 5 == 4 else None
                if label.endswith("cold"):
                    index._facet_cache.clear()  # every query pays for its facets, as a first page does
                t0 = time.perf_counter()
                result = index.search(query, filters=filters, limit=20, **kwargs)
                times.append((time.perf_counter() - t0) * 1000)
                totals.append(result.total)
                slowest.append((round(times[-1], 2), query, result.total))
            times.sort()
            print(f"# slowest ({label}):", sorted(slowest, reverse=True)[:3], flush=True)
            p95 = times[round(0.95 * (len(times) - 1))]
            for name, value in [("p50", statistics.median(times)), ("p95", p95)]:
                figure = {"figure": f"lexical_{name} ({label})", "value": round(value, 2), "unit": "ms"}
                figure |= {"records": len(docs), "median_total": statistics.median(totals)}
                print(json.dumps(figure), flush=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"figure": "peak_rss", "value": round(peak), "unit": "MiB", "records": len(docs)}), flush=True)


if __name__ == "__main__":
    main()
