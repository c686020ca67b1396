"""Server-rendered charts: HTML bar rows, an inline SVG history chart and the province tile map as an HTML grid.

The overview, the provinces map and the province pages use these instead of Plotly: they are in the page the
moment it is parsed (no 4.8 MB script to fetch and evaluate on a first visit), work without JavaScript, are
readable by screen readers (the bar charts are tables, every tile is a link with a label) and print well.
The interactive pages (series explorer, products, releases, targets) keep Plotly (``charts.py``).

Pure functions: records in, ``Markup`` out. Growth is drawn as percent change (value - 100); contributions
(``points=True``) as they are, in percentage points. Numbers use the page's language (``i18n.fmt_number``).
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from iip.reference.rounding import growth_from_index
from iip.web.i18n import fmt_number

UP, DOWN, MID, GREY = (26, 152, 80), (215, 48, 39), (255, 255, 191), "#d9d9d9"


def _pct(v):
    """The growth a 100-based figure states: the index rounded half up to one decimal, minus 100."""
    g = None if v is None else growth_from_index(v)
    return None if g is None else float(g)


def _fmt(v, lang: str, nd: int = 1, unit: str = "%") -> str:
    return "–" if v is None else fmt_number(v, lang, nd, sign=True) + unit


def _figure(chart_id: str, cls: str, title: str, body: str) -> Markup:
    """The chart's container: ``data-rendered`` is set because the chart is complete in the HTML itself."""
    return Markup(
        f'<figure class="chart {cls}" id="{escape(chart_id)}" data-rendered="1">'
        f"<figcaption>{escape(title)}</figcaption>{body}</figure>"
    )


def bars(
    rows: list[dict],
    *,
    chart_id: str,
    title: str,
    measure: str,
    lang: str,
    points: bool = False,
    label_key: str = "name",
    code_key: str = "node",
    href=None,
    suppressed: str = "c",
    empty: str = "–",
) -> Markup:
    """Horizontal bars as a table (label | bar | value): growth = ``measure`` - 100 in %, or contributions in
    points (``points=True``). The zero line sits at -min / (max - min) of the track; a bar spans |v| / range.
    ``href(row)`` (optional) links the label. A confidential row shows "c" (``suppressed`` on hover) and no bar;
    no rows at all shows ``empty``."""
    if not rows:
        return _figure(chart_id, "hbars", title, f'<p class="empty">{escape(empty)}</p>')
    vals = [(r.get(measure) if points else _pct(r.get(measure))) for r in rows]
    known = [v for v in vals if v is not None]
    lo, hi = min(known + [0.0]), max(known + [0.0])
    span = (hi - lo) or 1.0
    zero = -lo / span * 100
    unit = "" if points else "%"
    out = []
    for r, v in zip(rows, vals):
        label = f"{r.get(code_key) or ''} {str(r.get(label_key) or '')}".strip()
        link = href(r) if href else None
        head = f'<a href="{escape(link)}">{escape(label)}</a>' if link else escape(label)
        if r.get("obs_status") == "c":
            bar, cell, cls = "", f'<span class="conf" title="{escape(suppressed)}">c</span>', "na"
        elif v is None:
            bar, cell, cls = "", "–", "na"
        else:
            left = zero + min(v, 0.0) / span * 100
            cls = "up" if v >= 0 else "down"
            bar = f'<span class="b {cls}" style="left:{left:.2f}%;width:{abs(v) / span * 100:.2f}%"></span>'
            cell = escape(_fmt(v, lang, 2 if points else 1, unit))
        out.append(
            f'<tr><th scope="row" title="{escape(label)}">{head}</th><td class="track"><span class="z" '
            f'style="left:{zero:.2f}%"></span>{bar}</td><td class="n {cls}">{cell}</td></tr>'
        )
    return _figure(chart_id, "hbars", title, f'<table class="bars"><tbody>{"".join(out)}</tbody></table>')


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]: step = 1, 2, 2.5 or 5 x 10^k."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def history(rows: list[dict], *, chart_id: str, title: str, lang: str, index_label: str, yoy_label: str) -> Markup:
    """Index (line, left axis) and its yoy growth (bars, right axis, %) over the months of ``rows``, as SVG.

    x: month i at X0 + (i + 0.5) * w, w = plot width / n; y: linear in each axis's nice-tick range."""
    W, H, X0, X1, Y0, Y1 = 640, 330, 52, 588, 12, 250
    n = max(len(rows), 1)
    w = (X1 - X0) / n
    idx = [r.get("index") for r in rows]
    g = [_pct(r.get("yoy")) for r in rows]
    li = nice_ticks(min([v for v in idx if v is not None] or [100]), max([v for v in idx if v is not None] or [100]))
    gv = [v for v in g if v is not None] + [0.0]
    lg = nice_ticks(min(gv), max(gv))

    def ya(v):
        return Y1 - (v - li[0]) / ((li[-1] - li[0]) or 1) * (Y1 - Y0)

    def yb(v):
        return Y1 - (v - lg[0]) / ((lg[-1] - lg[0]) or 1) * (Y1 - Y0)

    def xc(i):
        return X0 + (i + 0.5) * w

    p = [f'<svg class="chart-svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">']
    for v in li:
        p.append(f'<line class="grid" x1="{X0}" x2="{X1}" y1="{ya(v):.1f}" y2="{ya(v):.1f}"/>')
        p.append(f'<text class="tick" x="{X0 - 6}" y="{ya(v) + 4:.1f}" text-anchor="end">'
                 f"{escape(fmt_number(v, lang, 1 if v % 1 else 0))}</text>")
    for v in lg:
        p.append(f'<text class="tick" x="{X1 + 6}" y="{yb(v) + 4:.1f}">{escape(fmt_number(v, lang, 1))}%</text>')
    z = yb(0.0)
    for i, (r, v) in enumerate(zip(rows, g)):
        if v is None:
            continue
        top, hgt = min(z, yb(v)), abs(yb(v) - z)
        tip = f"{r['period']}: {yoy_label} {_fmt(v, lang)}"
        p.append(f'<rect class="{"up" if v >= 0 else "down"}" x="{xc(i) - w * 0.4:.1f}" y="{top:.1f}" '
                 f'width="{w * 0.8:.1f}" height="{max(hgt, 0.5):.1f}"><title>{escape(tip)}</title></rect>')
    p.append(f'<line class="axis" x1="{X0}" x2="{X1}" y1="{z:.1f}" y2="{z:.1f}"/>')
    pts = [(xc(i), ya(v)) for i, v in enumerate(idx) if v is not None]
    if pts:
        p.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
    for i, (r, lv) in enumerate(zip(rows, idx)):
        if lv is not None:
            tip = f"{r['period']}: {index_label} {fmt_number(lv, lang, 2)}"
            p.append(f'<circle cx="{xc(i):.1f}" cy="{ya(lv):.1f}" r="3"><title>{escape(tip)}</title></circle>')
    step = max(1, math.ceil(n / 9))
    for i in range(len(rows) - 1, -1, -step):  # label the latest month and every step-th before it
        x = xc(i)
        p.append(f'<text class="tick" transform="translate({x:.1f},{Y1 + 12}) rotate(-40)" text-anchor="end">'
                 f"{escape(rows[i]['period'])}</text>")
    ly = H - 8
    p.append(f'<rect class="up" x="{X0}" y="{ly - 9}" width="12" height="10"/>'
             f'<text class="legend" x="{X0 + 16}" y="{ly}">{escape(yoy_label)}</text>')
    p.append(f'<line class="line" x1="{X0 + 300}" x2="{X0 + 324}" y1="{ly - 4}" y2="{ly - 4}"/>'
             f'<circle cx="{X0 + 312}" cy="{ly - 4}" r="3"/>'
             f'<text class="legend" x="{X0 + 330}" y="{ly}">{escape(index_label)}</text>')
    p.append("</svg>")
    return _figure(chart_id, "history", title, "".join(p))


def _mix(a: tuple, b: tuple, f: float) -> tuple:
    return tuple(round(x + (y - x) * f) for x, y in zip(a, b))


def growth_colour(v: float | None, lim: float) -> tuple[str, str]:
    """(background, text colour) on the diverging scale red (-lim) - pale yellow (0) - green (+lim)."""
    if v is None:
        return GREY, "#333"
    f = max(-1.0, min(1.0, v / (lim or 1.0)))
    rgb = _mix(MID, UP, f) if f >= 0 else _mix(MID, DOWN, -f)
    lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return "#%02x%02x%02x" % rgb, ("#111" if lum > 140 else "#fff")


def tile_map(
    rows: list[dict],
    *,
    chart_id: str,
    title: str,
    measure: str,
    lang: str,
    href,
    suppressed: str,
    no_data: str,
    show_names: bool = False,
) -> Markup:
    """Tile grid map: one link per province at (tile_row, tile_col), coloured by growth (measure - 100, %) on a
    scale symmetric around 0 up to the largest |growth|; confidential or missing cells are grey."""
    rows = [r for r in rows if r.get("tile_row") is not None]
    vals = [None if r.get("obs_status") == "c" else _pct(r.get(measure)) for r in rows]
    lim = max([abs(v) for v in vals if v is not None] + [1.0])
    ncol = max([int(r["tile_col"]) for r in rows] + [0]) + 1
    tiles = []
    for r, v in zip(rows, vals):
        bg, fg = growth_colour(v, lim)
        name = str(r.get("name") or r["area"])
        status = suppressed if r.get("obs_status") == "c" else (no_data if v is None else _fmt(v, lang))
        code = str(r["area"])
        top = escape(name) if show_names else escape(code.lstrip("N"))
        tiles.append(
            f'<a class="tile" href="{escape(href(r))}" data-area="{escape(code)}" '
            f'style="grid-row:{int(r["tile_row"]) + 1};grid-column:{int(r["tile_col"]) + 1};'
            f'background:{bg};color:{fg}" title="{escape(name)}: {escape(status)}" '
            f'aria-label="{escape(name)}: {escape(status)}"><b>{top}</b>'
            f'<span>{escape(status if v is not None else "c" if r.get("obs_status") == "c" else "–")}</span></a>'
        )
    lo, _ = growth_colour(-lim, lim)
    mid, _ = growth_colour(0.0, lim)
    hi, _ = growth_colour(lim, lim)
    legend = (
        f'<div class="legend"><span>{escape(_fmt(-lim, lang))}</span>'
        f'<span class="ramp" style="background:linear-gradient(90deg,{lo},{mid},{hi})"></span>'
        f"<span>{escape(_fmt(lim, lang))}</span>"
        f'<span class="sw" style="background:{GREY}"></span><span>{escape(suppressed)} / {escape(no_data)}</span></div>'
    )
    grid = (f'<div class="tiles{" named" if show_names else ""}" '
            f'style="grid-template-columns:repeat({ncol},minmax(0,1fr))">{"".join(tiles)}</div>')
    return _figure(chart_id, "tilemap", title, grid + legend)


def sparkline(points: list[tuple[str, float | None]], *, chart_id: str, title: str, lang: str,
              highlight: str | None = None, unit: str = "") -> Markup:
    """A small line of a unit's recent values as SVG (no axes): month i at x = X0 + i * (X1 - X0) / (n - 1),
    y linear between the smallest and largest value; the ``highlight`` month (the flagged one) is drawn in red.
    The first, smallest, largest and last values are labelled in the page's number format."""
    W, H, X0, X1, Y0, Y1 = 260, 78, 6, 206, 10, 62
    vals = [v for _, v in points if v is not None]
    if not vals:
        return _figure(chart_id, "spark", title, '<p class="empty">–</p>')
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    n = len(points)

    def xy(i: int, v: float) -> tuple[float, float]:
        return X0 + i * (X1 - X0) / max(n - 1, 1), Y1 - (v - lo) / span * (Y1 - Y0)

    def label(v: float) -> str:
        return fmt_number(v, lang, 0 if abs(v) >= 100 else 2)

    pts = [(i, p, v) for i, (p, v) in enumerate(points) if v is not None]
    out = [f'<svg class="chart-svg spark" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">']
    out.append('<polyline class="line" points="'
               + " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, _, v in pts) + '"/>')
    for i, p, v in pts:
        x, y = xy(i, v)
        cls = ' class="flag"' if p == highlight else ""
        tip = f"{p}: {label(v)} {unit}".strip()
        out.append(f'<circle{cls} cx="{x:.1f}" cy="{y:.1f}" r="{4 if cls else 2.2}"><title>{escape(tip)}</title>'
                   "</circle>")
    out.append(f'<text class="tick" x="{X1 + 6}" y="{Y0 + 4}">{escape(label(hi))}</text>'
               f'<text class="tick" x="{X1 + 6}" y="{Y1 + 3}">{escape(label(lo))}</text>'
               f'<text class="tick" x="{X0}" y="{H - 2}">{escape(points[0][0])}</text>'
               f'<text class="tick" x="{X1}" y="{H - 2}" text-anchor="end">{escape(points[-1][0])}</text>')
    out.append("</svg>")
    return _figure(chart_id, "spark", title, "".join(out))
