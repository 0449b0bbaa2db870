"""Embed the 4,097 CCF 2022 patents once into a resumable cache for the quality benchmark (~15 min on 2 cores).

The cache lives in `$IPOC_DATA_DIR/quality-vectors/` (default ./var/quality-vectors) so that `make quality` embeds
only once. It writes OUT/part-NNNNN.npz chunks while running (rerun to resume), then OUT/vectors.npy (n, 384
float32) and OUT/ids.txt (CCF ids, one per line, same order). Each passage is `passage_text(title, abstract)`, the
text `ipoc embed run` embeds for a patent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ipoc.config import Settings
from ipoc.search.vectors import DIM, Embedder, passage_text

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CCF_PATENTS = DATA / "cn-patents-ccf2022" / "patents.jsonl"
DEFAULT_OUT = Settings().data_dir / "quality-vectors"  # IPOC_DATA_DIR or .env, ./var by default; not created here
CHUNK = 32


def load_ccf() -> list[dict]:
    with CCF_PATENTS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_cache(out: Path) -> tuple[list[str], np.ndarray] | None:
    """The finished cache (ids, vectors), or None when it is not complete."""
    if not (out / "vectors.npy").exists() or not (out / "ids.txt").exists():
        return None
    return (out / "ids.txt").read_text().split(), np.load(out / "vectors.npy")


def build_cache(out: Path, rows: list[dict]) -> tuple[list[str], np.ndarray]:
    """Embed what the chunks written so far lack, then write the finished cache."""
    out.mkdir(parents=True, exist_ok=True)
    parts = sorted(out.glob("part-*.npz"))
    done = {str(i) for part in parts for i in np.load(part)["ids"]}
    todo = [r for r in rows if r["id"] not in done]
    embedder, started = Embedder.shared(), time.perf_counter()
    for n, start in enumerate(range(0, len(todo), CHUNK), start=len(parts)):
        batch = todo[start : start + CHUNK]
        vecs = embedder.passages([passage_text(r["title"], r["abstract"]) for r in batch])
        tmp = out / f"part-{n:05d}.tmp.npz"
        np.savez(tmp, ids=np.array([r["id"] for r in batch]), vecs=vecs)
        tmp.rename(out / f"part-{n:05d}.npz")
        rate = (start + len(batch)) / (time.perf_counter() - started)
        print(f"{start + len(batch)}/{len(todo)} passages, {rate:.1f}/s", file=sys.stderr, flush=True)
    by_id: dict[str, np.ndarray] = {}
    for part in sorted(out.glob("part-*.npz")):
        data = np.load(part)
        by_id.update(zip((str(i) for i in data["ids"]), data["vecs"], strict=True))
    ids = [r["id"] for r in rows]
    matrix = np.stack([by_id[i] for i in ids]).astype(np.float32).reshape(len(ids), DIM)
    np.save(out / "vectors.npy", matrix)
    (out / "ids.txt").write_text("\n".join(ids) + "\n")
    print(f"wrote {len(ids)} vectors to {out}", file=sys.stderr)
    return ids, matrix


def ensure_cache(out: Path, rows: list[dict]) -> tuple[list[str], np.ndarray]:
    """The cached vectors of every row, embedding (or resuming) only when the cache does not cover them."""
    cache = load_cache(out)
    if cache is not None and set(cache[0]) >= {r["id"] for r in rows}:
        return cache
    return build_cache(out, rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default $IPOC_DATA_DIR/quality-vectors")
    args = parser.parse_args()
    if not CCF_PATENTS.exists():
        print(f"real data not found at {CCF_PATENTS} (../shared/data is absent): skipped", file=sys.stderr)
        return 0
    ids, _ = ensure_cache(args.out, load_ccf())
    print(f"{len(ids)} vectors cached in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
