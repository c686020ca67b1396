"""SDMX output of a release, built with sdmx1's information model: one structure-specific data set keyed as the
IMF's ECOFIN_DSD (as in IMF NSDP files: DATA_DOMAIN=IND, REF_AREA=VN, INDICATOR=AIP_ISIC4[_<node>]_<transform>,
COUNTERPART_AREA=_Z, FREQ=M), written as SDMX-ML 2.1 (``sdmx.to_xml``), SDMX-CSV (``sdmx.to_csv``) and SDMX-JSON 1.0.

sdmx1 reads SDMX-JSON but has no SDMX-JSON writer, so :func:`write_json` walks the same model objects (series keys,
their attributes, observations) and lays them out as the SDMX-JSON 1.0 data message; sdmx1 reads it back.

Content: the release's figures (``figures.csv``) that are indices of production: national TOTAL, sections and
divisions (REF_AREA VN) and the province areas of the month's geography (REF_AREA ``VN_<area>``: ``VN_01`` before
July 2025, ``VN_N01`` from), one observation per series key and period. Transforms (IMF codes): ``IX`` the index
level (series attribute BASE_PER), ``PC_CP_A_PT`` percent change on the same period a year earlier (GSO's yoy - 100),
``PC_PP_PT`` on the previous period (mom - 100); the year-to-date change, which ECOFIN has no code for, is
``YTD_PC_CP_A_PT``. Percent changes are the published two-decimal index minus 100 in decimal arithmetic.
Observation attributes: OBS_STATUS (A normal, E estimate, Q missing: suppressed) and CONF_STATUS (C confidential).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sdmx
from sdmx import message
from sdmx.model import v21 as m

from iip.errors import MethodError

DIMENSIONS = ("DATA_DOMAIN", "REF_AREA", "INDICATOR", "COUNTERPART_AREA", "FREQ")
SERIES_ATTRIBUTES = ("BASE_PER", "UNIT_MULT")
OBS_ATTRIBUTES = ("OBS_STATUS", "CONF_STATUS")
TRANSFORM = {"index": "IX", "yoy": "PC_CP_A_PT", "mom": "PC_PP_PT", "ytd": "YTD_PC_CP_A_PT"}
#: figures.csv (table, measure) -> (node suffix, transform): which figures are SDMX observations.
SELECT = {("national", "index"): (None, "index"), ("national", "yoy"): (None, "yoy"),
          ("national", "mom"): (None, "mom"), ("national", "ytd"): (None, "ytd"),
          ("history", "index"): (None, "index"), ("history", "yoy"): (None, "yoy"),
          ("provinces", "yoy"): ("TOTAL", "yoy"), ("provinces", "ytd"): ("TOTAL", "ytd"),
          ("provinces", "mfg_yoy"): ("C", "yoy"), ("provinces", "mfg_ytd"): ("C", "ytd")}
STATUS = {"estimate": "E", "actual": "A", "compiled": "A"}


def indicator_code(node: str, transform: str = "index") -> str:
    """AIP_ISIC4_IX (TOTAL), AIP_ISIC4_C_PC_CP_A_PT (section C, yoy), ..."""
    return "AIP_ISIC4" + ("" if node == "TOTAL" else f"_{node}") + "_" + TRANSFORM[transform]


def ref_area(area: str) -> str:
    """SDMX REF_AREA of an area: VN, or VN_ + the area code."""
    return "VN" if area == "VN" else f"VN_{area}"


def observations(figs: pd.DataFrame) -> pd.DataFrame:
    """The SDMX observations of a release's figures (columns of figures.csv): one row per series key and period
    with the value as written (str; None when confidential), OBS_STATUS and CONF_STATUS. Two figures for one key
    and period must agree, else a MethodError."""
    rows = []
    for r in figs.itertuples(index=False):
        sel = SELECT.get((r.table, r.measure))
        if sel is None or (r.table == "history" and r.code != "TOTAL" and r.measure != "index"):
            continue
        node, transform = (r.code, sel[1]) if sel[0] is None else (sel[0], sel[1])
        area = "VN" if r.table in ("national", "history") else r.code
        conf = r.status == "c" or pd.isna(r.value)
        value = None if conf else Decimal(repr(float(r.value))) - (0 if transform == "index" else 100)
        rows.append({"REF_AREA": ref_area(area), "INDICATOR": indicator_code(node, transform), "node": node,
                     "transform": transform, "TIME_PERIOD": r.period, "value": None if value is None else str(value),
                     "OBS_STATUS": "Q" if conf else STATUS.get(str(r.figure_status), "A"),
                     "CONF_STATUS": "C" if conf else ""})
    obs = pd.DataFrame(rows, columns=["REF_AREA", "INDICATOR", "node", "transform", "TIME_PERIOD", "value",
                                      "OBS_STATUS", "CONF_STATUS"])
    key = ["REF_AREA", "INDICATOR", "TIME_PERIOD"]
    clash = obs.groupby(key)["value"].nunique(dropna=False)
    if (clash > 1).any():
        raise MethodError(f"two different values for one SDMX observation: {clash[clash > 1].index[0]}")
    return obs.drop_duplicates(key).sort_values(key).reset_index(drop=True)


def dsd() -> m.DataStructureDefinition:
    """The ECOFIN_DSD structure (dimensions, TIME_PERIOD, OBS_VALUE, attributes) in sdmx1's model."""
    d = m.DataStructureDefinition(id="ECOFIN_DSD", maintainer=m.Agency(id="IMF"), version="1.0")
    for i, name in enumerate(DIMENSIONS):
        d.dimensions.getdefault(name, order=i)
    d.dimensions.getdefault("TIME_PERIOD", cls=m.TimeDimension, order=len(DIMENSIONS))
    d.measures.getdefault("OBS_VALUE")
    series = m.DimensionRelationship(dimensions=[d.dimensions.get(x) for x in DIMENSIONS])
    for a in SERIES_ATTRIBUTES:
        d.attributes.getdefault(a, related_to=series)
    for a in OBS_ATTRIBUTES:
        d.attributes.getdefault(a, related_to=m.PrimaryMeasureRelationship())
    return d


def dataset(obs: pd.DataFrame, *, base_year: int | None) -> m.StructureSpecificTimeSeriesDataSet:
    """The observations as an sdmx1 data set of ECOFIN_DSD, described by the dataflow IIP_VN."""
    d = dsd()
    flow = m.DataflowDefinition(id="IIP_VN", maintainer=m.Agency(id="VN_IIP"), version="1.0", structure=d)
    ds = m.StructureSpecificTimeSeriesDataSet(structured_by=d, described_by=flow)
    attr = {a.id: a for a in d.attributes.components}
    for (area, indicator), g in obs.groupby(["REF_AREA", "INDICATOR"], sort=True):
        sk = d.make_key(m.SeriesKey, {"DATA_DOMAIN": "IND", "REF_AREA": area, "INDICATOR": indicator,
                                      "COUNTERPART_AREA": "_Z", "FREQ": "M"})
        sattr = {"UNIT_MULT": "0"} | ({"BASE_PER": str(base_year)} if base_year and indicator.endswith("_IX")
                                     else {})
        for k, v in sattr.items():
            sk.attrib[k] = m.AttributeValue(value=v, value_for=attr[k])
        points = []
        for r in g.itertuples(index=False):
            o = m.Observation(series_key=sk, dimension=d.make_key(m.Key, {"TIME_PERIOD": r.TIME_PERIOD}),
                              value="NaN" if r.value is None else r.value, value_for=d.measures.get("OBS_VALUE"))
            for a in OBS_ATTRIBUTES:
                if getattr(r, a):
                    o.attached_attribute[a] = m.AttributeValue(value=getattr(r, a), value_for=attr[a])
            points.append(o)
        ds.add_obs(points, sk)
    return ds


def write_xml(ds: m.StructureSpecificTimeSeriesDataSet, path: Path, *, message_id: str,
              prepared: dt.datetime) -> Path:
    """SDMX-ML 2.1 structure-specific data message (sdmx1's writer)."""
    structure = ds.structured_by
    assert structure is not None, "a data set of :func:`dataset` has its structure"
    header = message.Header(id=message_id, test=False, prepared=prepared, sender=m.Agency(id="VN_IIP"))
    msg = message.DataMessage(header=header, data=[ds],
                              observation_dimension=structure.dimensions.get("TIME_PERIOD"))
    path.write_bytes(sdmx.to_xml(msg, pretty_print=True))
    return path


def write_csv(ds: m.StructureSpecificTimeSeriesDataSet, path: Path) -> Path:
    """SDMX-CSV 1.0 (sdmx1's writer), observation attributes included."""
    sdmx.to_csv(ds, path=path, attributes="o")
    return path


def write_json(ds: m.StructureSpecificTimeSeriesDataSet, path: Path, *, message_id: str,
               prepared: dt.datetime) -> Path:
    """SDMX-JSON 1.0 data message laid out from the sdmx1 data set (sdmx1 has no JSON writer): series-level
    dimensions and attributes, TIME_PERIOD at observation level, observations [value, OBS_STATUS, CONF_STATUS]
    as indices into the attribute values."""
    keys = list(ds.series)
    dims = {d: sorted({sk.values[d].value for sk in keys}) for d in DIMENSIONS}
    periods = sorted({o.dimension.values["TIME_PERIOD"].value for obs in ds.series.values() for o in obs})
    sattr = {a: sorted({sk.attrib[a].value for sk in keys if a in sk.attrib}) for a in SERIES_ATTRIBUTES}
    oattr = {a: sorted({o.attached_attribute[a].value for obs in ds.series.values() for o in obs
                        if a in o.attached_attribute}) for a in OBS_ATTRIBUTES}

    def pos(values: dict[str, list[str]], name: str, holder) -> int | None:
        return values[name].index(holder[name].value) if name in holder else None

    series = {}
    for sk, obs in ds.series.items():
        key = ":".join(str(dims[d].index(sk.values[d].value)) for d in DIMENSIONS)
        series[key] = {"attributes": [pos(sattr, a, sk.attrib) for a in SERIES_ATTRIBUTES], "observations": {
            str(periods.index(o.dimension.values["TIME_PERIOD"].value)):
                [None if o.value == "NaN" else float(o.value)]
                + [pos(oattr, a, o.attached_attribute) for a in OBS_ATTRIBUTES] for o in obs}}

    def values(xs: list[str]) -> list[dict]:
        return [{"id": x, "name": x} for x in xs]

    doc = {"header": {"id": message_id, "test": False, "prepared": prepared.isoformat(), "sender": {"id": "VN_IIP"}},
           "dataSets": [{"action": "Information", "series": series}],
           "structure": {"name": "IIP Viet Nam", "dimensions": {
               "series": [{"id": d, "name": d, "keyPosition": i, "values": values(dims[d])}
                          for i, d in enumerate(DIMENSIONS)],
               "observation": [{"id": "TIME_PERIOD", "name": "Time period", "role": "time",
                                "values": values(periods)}]},
               "attributes": {"dataSet": [],
                              "series": [{"id": a, "name": a, "values": values(sattr[a])} for a in SERIES_ATTRIBUTES],
                              "observation": [{"id": a, "name": a, "values": values(oattr[a])}
                                              for a in OBS_ATTRIBUTES]}}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
