"""How fast a programme office scores a portfolio of 1,000 readiness assessments.

Generated assessments of the bundled smr-vn framework (``smkit.readiness.synthetic``), each
with about 50 rated criteria, 43 checklist states, targets and priorities, are written as YAML
files first (not timed). Measured in the same run:

* baseline: reading the files with PyYAML alone (libyaml's parser; no checking, no scoring);
* smkit, in memory: score and roadmap of every assessment;
* smkit, end to end as ``smkit readiness portfolio DIR`` runs it: read, check against the
  framework, score, roll up.

Target (issue #7): scoring 1,000 assessments for a portfolio in under 10 s.

Usage: python benchmarks/readiness_portfolio.py [--count 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from smkit.readiness.assessment import open_assessment
from smkit.readiness.framework import load_framework
from smkit.readiness.portfolio import Scored, portfolio
from smkit.readiness.roadmap import roadmap
from smkit.readiness.scoring import score
from smkit.readiness.synthetic import synthetic_assessment


def main(count: int) -> None:
    loaded = load_framework("smr-vn")
    audits = [synthetic_assessment(loaded, seed) for seed in range(count)]
    with tempfile.TemporaryDirectory(prefix="smkit-readiness-bench-") as folder:
        paths = []
        for seed, audit in enumerate(audits):
            path = Path(folder) / f"{seed:05d}.yaml"
            document = audit.model_dump(mode="json", exclude_none=True)
            path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
            paths.append(path)
        rated = sum(len(a.ratings) for a in audits) / count
        print(f"Readiness portfolio: {count:,} assessments, {rated:.0f} rated criteria each")

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        started = time.perf_counter()
        for path in paths:
            yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        parse_s = time.perf_counter() - started
        print(f"  baseline: PyYAML ({loader.__name__}) reading the files only: {parse_s:6.2f} s")

        started = time.perf_counter()
        for audit in audits:
            roadmap(loaded.framework, audit, score(loaded.framework, audit))
        memory_s = time.perf_counter() - started
        print(f"  smkit, in memory: score and roadmap:     {memory_s:6.2f} s "
              f"({memory_s / count * 1e3:.2f} ms each)")  # fmt: skip

        started = time.perf_counter()
        items = []
        for path in paths:
            framework, audit = open_assessment(path)
            items.append(Scored(audit, score(framework.framework, audit)))
        rolled = portfolio(items)
        total_s = time.perf_counter() - started
        assert rolled.enterprises == count
        print(f"  smkit, end to end: read, check, score, roll up: {total_s:6.2f} s "
              f"({total_s / parse_s:.1f}x reading alone)")  # fmt: skip
        verdict = "meets" if total_s < 10 else "MISSES"
        print(f"  {verdict} under 10 s for {count:,} assessments")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    main(parser.parse_args().count)
