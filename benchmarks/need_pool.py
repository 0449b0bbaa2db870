"""Pooling for the need labels: for every CCF 2019 need, the top 10 CCF 2022 patents of every ranking in
benchmarks/need_systems.py (baselines and the platform's own), written with their texts to judging sheets OUTSIDE
the repository (the texts are never committed), one sheet per judge. The judges grade each pooled patent 0–3 and
their grades go into benchmarks/quality/need_labels.jsonl. See benchmarks/README.md, "Need quality".

    .venv/bin/python benchmarks/need_pool.py --out /tmp/need-pools --judges 6
    .venv/bin/python benchmarks/need_pool.py --out /tmp/need-pools --top-up   # only what labels lack
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from embed_ccf_cache import CCF_PATENTS, DEFAULT_OUT, ensure_cache, load_ccf
from matching_needs import Need, load_matching_labels, load_needs
from need_systems import all_rankings, ccf_instance
from search_quality import log

POOL_DEPTH = 10
LABELS = Path(__file__).resolve().parent / "quality" / "need_labels.jsonl"


def judged() -> dict[str, set[str]]:
    """Need id → the patents already graded."""
    if not LABELS.exists():
        return {}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["need"]: set(row["grades"]) for row in rows}


def pooled_already(folder: Path) -> set[str]:
    """The needs whose whole line an interrupted run wrote; a torn last line is cut off."""
    done = set()
    for sheet in folder.glob("sheet-*.jsonl"):
        raw = sheet.read_text(encoding="utf-8")
        whole = raw[: raw.rfind("\n") + 1]
        sheet.write_text(whole, encoding="utf-8")
        done |= {json.loads(line)["need"] for line in whole.splitlines() if line.strip()}
    return done


def chosen_needs(needs: dict[str, Need], count: int) -> list[Need]:
    """The 47 needs of the earlier matching labels (chosen then because the corpus plausibly covers them), then a
    seeded random draw from the rest, blind to every system: so the set holds needs the corpus cannot answer too."""
    earlier = [row.id for row in load_matching_labels()]
    rest = sorted(set(needs) - set(earlier))
    drawn = random.Random(13).sample(rest, max(count - len(earlier), 0))
    return [needs[i] for i in earlier + drawn]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder of judging sheets (outside the repository)")
    parser.add_argument("--judges", type=int, default=6)
    parser.add_argument("--needs", type=int, default=150, help="how many needs to pool (47 earlier + a draw)")
    parser.add_argument("--top-up", action="store_true", help="pool only the labelled needs' unjudged patents")
    parser.add_argument("--resume", action="store_true", help="append what an interrupted run did not write")
    parser.add_argument("--cache", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not CCF_PATENTS.is_file():
        print(f"real data not found at {CCF_PATENTS}: skipped", file=sys.stderr)
        return 0
    rows = load_ccf()
    by_id = {row["id"]: row for row in rows}
    ids, matrix = ensure_cache(args.cache, rows)
    done = judged()
    needs = chosen_needs(load_needs(), args.needs) if not args.top_up else [load_needs()[i] for i in done]
    args.out.mkdir(parents=True, exist_ok=True)
    written = pooled_already(args.out) if args.resume else set()
    mode = "a" if args.resume else "w"
    sheets = [(args.out / f"sheet-{j + 1}.jsonl").open(mode, encoding="utf-8") for j in range(args.judges)]
    with tempfile.TemporaryDirectory(prefix="ipoc-need-pool-") as tmp:
        numbers = ccf_instance(Path(tmp), rows, ids, matrix)
        for n, need in enumerate(needs):
            if need.id in written:
                continue
            ranked, _ = all_rankings(need.text, numbers, ids, matrix, POOL_DEPTH)
            pool = [doc for doc in dict.fromkeys(d for ranking in ranked.values() for d in ranking[:POOL_DEPTH])]
            pool = [doc for doc in pool if doc not in done.get(need.id, set())]
            if not pool:
                continue
            candidates = [
                {"id": doc, "title": by_id[doc]["title"], "abstract": by_id[doc]["abstract"][:200]} for doc in pool
            ]
            line = {"need": need.id, "text": need.text[:600], "candidates": sorted(candidates, key=lambda c: c["id"])}
            sheets[n % args.judges].write(json.dumps(line, ensure_ascii=False) + "\n")
            sheets[n % args.judges].flush()  # the judges read the sheets while they grow
    for sheet in sheets:
        sheet.close()
    log(f"pools of {len(needs)} needs written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
