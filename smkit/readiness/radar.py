"""The radar chart of a report: every dimension's current and target band, as inline SVG
(no script, no font download: it prints as drawn)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

SIZE = 640
CENTRE = SIZE / 2
RADIUS = 200


def radar_svg(
    labels: Sequence[str],
    current: Sequence[int],
    target: Sequence[int | None],
    legend: tuple[str, str],
) -> str:
    """An SVG radar of bands 0-5 on one axis per label."""
    count = len(labels)
    title = escape(f"{legend[0]} / {legend[1]}")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
             f'class="radar" role="img" aria-label="{title}">']  # fmt: skip
    for band in range(1, 6):
        ring = " ".join(_point(i, band, count) for i in range(count))
        parts.append(f'<polygon points="{ring}" class="ring"/>')
        x, y = _xy(0, band, count)
        parts.append(f'<text x="{x + 4:.1f}" y="{y - 2:.1f}" class="tick">{band}</text>')
    for i, label in enumerate(labels):
        x, y = _xy(i, 5, count)
        parts.append(f'<line x1="{CENTRE}" y1="{CENTRE}" x2="{x:.1f}" y2="{y:.1f}" class="axis"/>')
        parts.append(_label(i, count, label))
    targets = [t if t is not None else b for t, b in zip(target, current, strict=True)]
    parts.append(_shape(targets, count, "target"))
    parts.append(_shape(current, count, "current"))
    for row, (kind, words) in enumerate((("current", legend[0]), ("target", legend[1]))):
        top = SIZE - 44 + 20 * row
        box = f'<rect x="20" y="{top}" width="14" height="14" class="{kind}"/>'
        parts.append(f'{box}<text x="40" y="{top + 11}" class="legend">{escape(words)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _xy(index: int, band: float, count: int) -> tuple[float, float]:
    angle = 2 * math.pi * index / count - math.pi / 2
    distance = RADIUS * band / 5
    return CENTRE + distance * math.cos(angle), CENTRE + distance * math.sin(angle)


def _point(index: int, band: float, count: int) -> str:
    x, y = _xy(index, band, count)
    return f"{x:.1f},{y:.1f}"


def _shape(bands: Sequence[int], count: int, kind: str) -> str:
    points = " ".join(_point(i, max(band, 0.08), count) for i, band in enumerate(bands))
    return f'<polygon points="{points}" class="{kind}"/>'


def _label(index: int, count: int, label: str) -> str:
    x, y = _xy(index, 5.35, count)
    anchor = "middle" if abs(x - CENTRE) < 30 else ("start" if x > CENTRE else "end")
    words = label.split()
    lines = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2 :])]
    spans = "".join(
        f'<tspan x="{x:.1f}" dy="{0 if n == 0 else 13}">{escape(line)}</tspan>'
        for n, line in enumerate(line for line in lines if line)
    )
    return f'<text x="{x:.1f}" y="{y - 4:.1f}" text-anchor="{anchor}" class="label">{spans}</text>'
