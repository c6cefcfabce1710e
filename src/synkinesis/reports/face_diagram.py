"""The front-view face diagram of the toxin muscles, shared by the web form and the visit report.

The web's toxin form draws it as clickable dots; the visit report draws the units given into
each muscle on it. Sides are the PATIENT's: the face looks at the reader, so the patient's
right is on the reader's left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

__all__ = ["DIAGRAM", "diagram_spots", "dose_diagram_svg", "injected_units"]

#: Where each muscle sits on the diagram: (x, y) on the patient's RIGHT half of a face seen from
#: the front, x from the side of the face (0) to the midline (100), y from the top (0) to the
#: neck (260); the left half is mirrored. Drawing only, no clinical meaning.
DIAGRAM = {
    "frontalis": (62, 40), "corrugator": (80, 72), "procerus": (100, 80),
    "orbicularis_oculi": (55, 98), "nasalis": (88, 118),
    "levator_labii_superioris_alaeque_nasi": (82, 132), "levator_labii_superioris": (66, 140),
    "zygomaticus_minor": (48, 140), "zygomaticus_major": (38, 158), "levator_anguli_oris": (62,
                                                                                        160),
    "risorius": (40, 180), "buccinator": (52, 172), "orbicularis_oris": (84, 178),
    "depressor_anguli_oris": (62, 200), "depressor_labii_inferioris": (80, 204),
    "mentalis": (92, 222), "platysma": (44, 240),
}

# Presentation attributes rather than a stylesheet: every SVG renderer (WeasyPrint's included)
# reads them the same way.
_LINE = 'fill="none" stroke="#9c7a62" stroke-width="1.5"'
_TEXT = 'font-family="DejaVu Sans, sans-serif" font-size="10"'

#: The outline of the 400 x 280 drawing: face, neck, brows, eyes, nose, mouth.
_OUTLINE = (
    '<ellipse cx="200" cy="130" rx="125" ry="125" fill="#fdf1e7" stroke="#9c7a62" '
    'stroke-width="1.5"/>',
    f'<path d="M150 255 L150 280 M250 255 L250 280" {_LINE}/>',
    f'<path d="M120 82 Q145 70 172 80 M228 80 Q255 70 280 82" {_LINE}/>',
    f'<ellipse cx="146" cy="100" rx="20" ry="8" {_LINE}/>',
    f'<ellipse cx="254" cy="100" rx="20" ry="8" {_LINE}/>',
    f'<path d="M190 110 L184 140 Q200 148 216 140 L210 110" {_LINE}/>',
    f'<path d="M168 182 Q200 196 232 182 Q200 172 168 182" {_LINE}/>',
    f'<text x="12" y="16" fill="#555" {_TEXT}>patient\'s right</text>',
    f'<text x="300" y="16" fill="#555" {_TEXT}>patient\'s left</text>',
)


def diagram_spots(muscle: str) -> dict[str, tuple[float, float]]:
    """Where a muscle is drawn: ``{side: (x, y)}`` in the 400 x 280 drawing, sides
    ``right``/``left`` (the patient's) or ``midline`` for a midline muscle; {} when the
    diagram does not show it."""
    from synkinesis.store.vocabulary import MUSCLES

    spot = DIAGRAM.get(muscle)
    if spot is None:
        return {}
    y = float(spot[1])
    if muscle in MUSCLES and MUSCLES[muscle].midline:
        return {"midline": (200.0, y)}
    right_x = round(200 - (100 - spot[0]) * 1.25, 1)
    return {"right": (right_x, y), "left": (400 - right_x, y)}


def dose_diagram_svg(units: Mapping[tuple[str, str], float], *,
                     title: str = "toxin units per muscle") -> str:
    """A standalone SVG (text) of the face with the units given per ``(muscle, side)``.

    A dot's area grows with the units; each injected muscle is labelled ``N U``. Muscles the
    diagram does not show are left out (the report's table lists every injection).
    """
    from synkinesis.scales.base import format_number

    parts: list[str] = list(_OUTLINE)
    for muscle in DIAGRAM:
        for x, y in diagram_spots(muscle).values():
            parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="#b9b9b9"/>')
    for (muscle, side), value in sorted(units.items()):
        spot = diagram_spots(muscle).get(side) or diagram_spots(muscle).get("midline")
        if spot is None or value <= 0:
            continue
        x, y = spot
        radius = min(4.0 + 1.6 * value ** 0.5, 14.0)
        anchor, dx = ("end", -radius - 2) if x < 200 else ("start", radius + 2)
        label = escape(f"{format_number(round(float(value), 2))} U")
        parts.append(f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="#c0392b" '
                     f'fill-opacity="0.75" stroke="#7b241c"><title>'
                     f'{escape(muscle.replace("_", " "))} ({side}): {label}</title></circle>')
        parts.append(f'<text x="{x + dx:.1f}" y="{y + 3.5:.1f}" text-anchor="{anchor}" '
                     f'font-weight="bold" fill="#222" {_TEXT}>{label}</text>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 285" width="400" '
            f'height="285" role="img"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")


def injected_units(injections: Iterable[tuple[str, str, float]]) -> dict[tuple[str, str], float]:
    """``(muscle, side, units)`` rows summed per ``(muscle, side)``."""
    total: dict[tuple[str, str], float] = {}
    for muscle, side, value in injections:
        total[(muscle, side)] = total.get((muscle, side), 0.0) + float(value)
    return total
