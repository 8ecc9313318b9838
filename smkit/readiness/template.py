"""``smkit readiness init``: an assessment file to fill in, every criterion listed with its text.

Ratings are written commented out: a criterion nobody rated stays unrated (not met), rather
than taking a value the assessor never chose.
"""

from __future__ import annotations

import datetime as dt
import json

from smkit.readiness.framework import LoadedFramework
from smkit.readiness.texts import Lang


def template_text(loaded: LoadedFramework, today: dt.date, lang: Lang = "vi") -> str:
    """The YAML text of a blank assessment of ``loaded``, comments in ``lang``."""
    framework = loaded.framework
    prioritisation = framework.prioritisation

    def say(value: object) -> str:
        return str(getattr(value, lang))

    lines = [
        f"# {say(framework.name)} {framework.version}",
        "# rating: met | partly | not | na (na needs a reason); evidence kinds: document, "
        "record, observation, interview, live_metric",
        "schema_version: 1",
        f"framework: {{id: {framework.id}, version: {json.dumps(framework.version)}, "
        f"sha256: {loaded.sha256}}}",
        "facility:",
        '  name: ""',
        f"  sector: general_manufacturing   # {', '.join(framework.sectors)}",
        "  size: small            # micro | small | medium | large",
        "  sme: true",
        '  province: ""',
        "  export_products: []",
        "  lines: []",
        'assessor: ""',
        f"date: {today.isoformat()}",
        "priorities:",
        f"  horizon: tactical      # {' | '.join(prioritisation.horizons)}",
        f"  kpis: []               # {', '.join(prioritisation.kpis)}",
        f"  costs: {{}}              # % of cost: {', '.join(prioritisation.costs)}",
        "targets:",
        *(f"  {d.id}: 3" for _, _, d in framework.dimensions()),
        "ratings:",
    ]
    for _, _, dimension in framework.dimensions():
        lines.append(f"  # == {say(dimension.name)} ==")
        for band in dimension.bands[1:]:
            for criterion in band.criteria:
                need = "" if criterion.required else ", optional"
                lines.append(f"  # [{band.band}{need}] {say(criterion.text)}")
                kinds = ", ".join(criterion.evidence)
                lines.append(f'  # {criterion.id}: {{rating: met, evidence: [{{kind: '
                             f'{criterion.evidence[0]}, ref: ""}}]}}   # {kinds}')  # fmt: skip
    lines.append("checklist:")
    for checklist in framework.checklists:
        lines.append(f"  # {say(checklist.name)}: {' | '.join(checklist.states)}")
        first = next(iter(checklist.states))
        lines += [f"  {item.id}: {first}   # {say(item.name)}" for item in checklist.items]
    return "\n".join(lines) + "\n"
