"""Plotly figure specifications (plain dicts) for the interactive pages (series explorer, products, targets);
the browser draws them with the local plotly.min.js. The overview, map and province pages use the
server-rendered charts of ``html_charts``. Pure functions: records in, figure out. Growth is shown as percent
change (value - 100)."""

from __future__ import annotations

from iip.reference.rounding import TABLE_DECIMALS, growth_from_index
from iip.web.i18n import plotly_separators

UP, DOWN, GREY = "#1a9850", "#d73027", "#bdbdbd"


def _layout(lang: str, **kw) -> dict:
    base = {
        "separators": plotly_separators(lang),
        "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
        "height": 360,
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "closest",
    }
    base.update(kw)
    return base


def _pct(v):
    """Growth as a table shows it: the index rounded half up to two decimals, minus 100."""
    g = None if v is None else growth_from_index(v, TABLE_DECIMALS)
    return None if g is None else float(g)


def growth_bars(
    rows: list[dict],
    *,
    measure: str,
    label_key: str = "name",
    title: str,
    lang: str,
    horizontal: bool = True,
    points: bool = False,
) -> dict:
    """Bars of growth (measure - 100, percent) or of contributions (points=True, as they are)."""
    vals = [(r.get(measure) if points else _pct(r.get(measure))) for r in rows]
    labels = [f"{r['node']} {str(r.get(label_key) or '')[:38]}" for r in rows]
    colors = [GREY if v is None else (UP if v >= 0 else DOWN) for v in vals]
    bar = (
        {
            "type": "bar",
            "x": vals,
            "y": labels,
            "orientation": "h",
            "marker": {"color": colors},
            "hovertemplate": "%{y}: %{x:.2f}<extra></extra>",
        }
        if horizontal
        else {"type": "bar", "x": labels, "y": vals, "marker": {"color": colors}}
    )
    height = max(300, 22 * len(rows) + 80) if horizontal else 360
    return {
        "data": [bar],
        "layout": _layout(
            lang,
            title={"text": title, "font": {"size": 14}},
            height=height,
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"zeroline": True, "ticksuffix": "" if points else "%"},
            margin={"l": 10, "r": 20, "t": 40, "b": 40},
        ),
    }


def lines(series: list[dict], *, title: str, lang: str, names: dict | None = None, ytitle: str = "") -> dict:
    """One line per series dict {periods, values, label}."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": s["periods"],
            "y": s["values"],
            "name": s.get("label", ""),
            "marker": {"size": 4},
            "connectgaps": False,
        }
        for s in series
    ]
    return {
        "data": data,
        "layout": _layout(
            lang,
            title={"text": title, "font": {"size": 14}},
            xaxis={"type": "category", "nticks": 12, "tickangle": -45, "automargin": True},
            yaxis={"title": {"text": ytitle}, "automargin": True},
            legend={"orientation": "h", "y": -0.2},
        ),
    }


def target_chart(res: dict, *, lang: str, labels: dict) -> dict:
    """Previous year, observed months, forecasts with their interval, and the level needed for the target."""
    prev = res.get("previous_year") or []
    x = [p["period"][5:] for p in prev]

    def trace(rows, name, **kw):
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "x": [r["period"][5:] for r in rows],
            "y": [r.get("value", r.get("forecast")) for r in rows],
            "name": name,
            **kw,
        }

    fc = res.get("forecast") or []
    data = [
        trace(prev, str(res["year"] - 1), line={"color": "#999"}),
        trace(res.get("observed") or [], labels["observed"], line={"color": "#2c7fb8"}),
    ]
    if fc:
        data += [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [r["period"][5:] for r in fc] * 1,
                "y": [r["upper"] for r in fc],
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": [r["period"][5:] for r in fc],
                "y": [r["lower"] for r in fc],
                "fill": "tonexty",
                "fillcolor": "rgba(44,127,184,0.15)",
                "line": {"width": 0},
                "name": "95%",
            },
            trace(fc, labels["forecast"], line={"dash": "dot", "color": "#2c7fb8"}),
        ]
    if res.get("needed"):
        data.append(trace(res["needed"], labels["needed_path"], line={"dash": "dash", "color": DOWN}))
    return {
        "data": data,
        "layout": _layout(
            lang, xaxis={"type": "category", "categoryarray": x}, legend={"orientation": "h", "y": -0.2}
        ),
    }
