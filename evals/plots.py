"""Small inline-SVG charts for the HTML report: no plotting library, nothing fetched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#505a5f")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{width / 2}" y="16" text-anchor="middle" {FONT} font-weight="bold">'
        f"{escape(title)}</text>" + "".join(body) + "</svg>"
    )


def _legend(names: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(names):
        yy = y + i * 16
        out.append(
            f'<rect x="{x}" y="{yy - 9}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
        )
        out.append(f'<text x="{x + 14}" y="{yy}" {FONT}>{escape(name)}</text>')
    return out


def _y_axis(
    left: float, top: float, plot_h: float, width: float, top_value: float, fmt: str
) -> list[str]:
    out = []
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        out.append(
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" {FONT}>{fmt.format(value)}</text>'
        )
    return out


def bar_chart(
    title: str, groups: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> str:
    """Grouped bars of 0..1 figures: one group per metric, one bar per system."""
    names = list(series)
    width, height, left, top, bottom = max(480, 110 * len(groups) + 220), 330, 60, 30, 95
    plot_w, plot_h = width - left - 170, height - top - bottom
    body = _y_axis(left, top, plot_h, left + plot_w + 10, 1.0, "{:.2f}")
    group_w = plot_w / max(1, len(groups))
    bar_w = group_w * 0.8 / max(1, len(names))
    for g, group in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        for s, name in enumerate(names):
            value = series[name][g]
            if value is None:
                continue
            h = plot_h * max(0.0, min(1.0, value))
            x = x0 + s * bar_w
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)} {escape(group)}: '
                f"{value:.3f}</title></rect>"
            )
        label_x = x0 + group_w * 0.5
        body.append(
            f'<text x="{label_x:.1f}" y="{top + plot_h + 14}" text-anchor="end" {FONT} '
            f'transform="rotate(-40 {label_x:.1f} {top + plot_h + 14})">{escape(group)}</text>'
        )
    body += _legend(names, left + plot_w + 20, top + 10)
    return _frame(width, height, title, body)


def histogram(title: str, values: Sequence[float], unit: str = "ms", bins: int = 20) -> str:
    width, height, left, top, bottom = 560, 260, 40, 30, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    if not values:
        return _frame(
            width, height, title, [f'<text x="{width / 2}" y="{height / 2}" {FONT}>no data</text>']
        )
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    peak = -(-max(counts) // 4) * 4  # a multiple of 4, so the axis ticks are whole numbers
    body = _y_axis(left, top, plot_h, width, peak, "{:.0f}")
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        lo, hi = low + span * i / bins, low + span * (i + 1) / bins
        body.append(
            f'<rect x="{left + i * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
            f'height="{h:.1f}" fill="{COLOURS[0]}"><title>{lo:.0f}-{hi:.0f} {escape(unit)}: '
            f"{count}</title></rect>"
        )
    for frac, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):
        x = left + plot_w * frac
        body.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" {FONT}>'
            f"{low + span * frac:.0f} {escape(unit)}</text>"
        )
    return _frame(width, height, title, body)


def line_chart(
    title: str, xs: Sequence[float], series: Mapping[str, Sequence[float | None]]
) -> str:
    """Lines of 0..1 figures against x (e.g. refusal precision/recall against the threshold)."""
    width, height, left, top, bottom = 560, 260, 40, 30, 40
    plot_w, plot_h = width - left - 130, height - top - bottom
    body = _y_axis(left, top, plot_h, left + plot_w + 10, 1.0, "{:.2f}")
    if xs:
        x_low, x_span = min(xs), (max(xs) - min(xs)) or 1.0
        for s, values in enumerate(series.values()):
            points = [
                f"{left + plot_w * (x - x_low) / x_span:.1f},{top + plot_h - plot_h * v:.1f}"
                for x, v in zip(xs, values)
                if v is not None
            ]
            if points:
                body.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke-width="2" '
                    f'stroke="{COLOURS[s % len(COLOURS)]}"/>'
                )
        for x in (xs[0], xs[len(xs) // 2], xs[-1]):
            px = left + plot_w * (x - x_low) / x_span
            body.append(
                f'<text x="{px:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>{x:g}</text>'
            )
    body += _legend(list(series), left + plot_w + 20, top + 10)
    return _frame(width, height, title, body)
