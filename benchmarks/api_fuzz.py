"""The full hostile-input run (issue 11, point 5): schemathesis over every API operation as the public, a member,
a city bureau officer and the region admin, on SQLite with the whole demo, ≥ 10,000 calls. Prints calls, 5xx,
schema violations and time; exits non-zero on any 5xx or violation. The bounded CI run is tests/test_api_fuzz.py.

    .venv/bin/python benchmarks/api_fuzz.py [--examples 12] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.api_fuzzing, run from anywhere

from tests.api_fuzzing import Principals, demo_instance, fuzz

from ipoc.config import Settings, set_settings
from ipoc.db import dispose_engine
from ipoc.ops.migrate import upgrade


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=12, help="generated cases per operation and mode")
    parser.add_argument("--seed", type=int, help="other cases than CI's fixed ones (e.g. --seed $RANDOM)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipoc-fuzz-") as folder:
        root = Path(folder)
        template = root / "template.sqlite3"
        migrated = Settings(data_dir=root / "template", database_url=f"sqlite:///{template}", secret_key="fuzz")
        set_settings(migrated)
        upgrade()
        dispose_engine(migrated.sqlalchemy_url)
        settings = demo_instance(root / "var", template)
        tally = fuzz(settings, Principals(), examples=args.examples, seed=args.seed)
    print(f"seed: {args.seed if args.seed is not None else 'none (the same cases as CI)'}")
    print(tally.summary())
    for violation in tally.violations:
        print(" -", violation)
    return 1 if tally.server_errors or tally.violations else 0


if __name__ == "__main__":
    sys.exit(main())
