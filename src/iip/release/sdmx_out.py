"""SDMX output of a release: SDMX-ML 2.1 structure-specific data and SDMX-JSON 1.0, keyed as the IMF's
ECOFIN_DSD (as in IMF NSDP files: DATA_DOMAIN=IND, REF_AREA=VN, INDICATOR=AIP_ISIC4[_<section>]_IX,
COUNTERPART_AREA=_Z, FREQ=M; series attributes BASE_PER, UNIT_MULT), plus a flat CSV.

One series per published node and area (TOTAL and sections, as in the IMF file; divisions use
AIP_ISIC4_<division>_IX), the monthly index levels of the release's history window. A suppressed cell is written
with OBS_VALUE="NaN", OBS_STATUS="C" and CONF="C" (confidential). ``dsd()`` gives the structure sdmx1 needs to
read the structure-specific file back.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

DIMENSIONS = ("DATA_DOMAIN", "REF_AREA", "INDICATOR", "COUNTERPART_AREA", "FREQ")
NS = "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=IMF:ECOFIN_DSD(1.0):ObsLevelDim:TIME_PERIOD"


def indicator_code(node: str) -> str:
    return "AIP_ISIC4_IX" if node == "TOTAL" else f"AIP_ISIC4_{node}_IX"


def observations(series: pd.DataFrame, *, base_year: int, prepared: str) -> list[dict]:
    """Series dicts {key: {...}, attrs: {...}, obs: [(period, value|None, status)]} from rows with columns
    area, node, period, index, obs_status."""
    out = []
    for (area, node), g in series.sort_values("period").groupby(["area", "node"], sort=False):
        key = {"DATA_DOMAIN": "IND", "REF_AREA": "VN" if area == "VN" else f"VN_{area}",
               "INDICATOR": indicator_code(node), "COUNTERPART_AREA": "_Z", "FREQ": "M"}
        obs = [(p, None if s == "c" or v is None or (isinstance(v, float) and math.isnan(v)) else float(v), s)
               for p, v, s in zip(g["period"], g["index"], g["obs_status"])]
        out.append({"key": key, "attrs": {"BASE_PER": str(base_year), "UNIT_MULT": "0"}, "obs": obs})
    return out


def write_xml(series: list[dict], path: Path, *, message_id: str, prepared: str) -> Path:
    """SDMX-ML 2.1 StructureSpecificData in the IMF NSDP layout."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<message:StructureSpecificData '
             'xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific" '
             f'xmlns:ns1="{NS}" '
             'xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
             'xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
             f'<message:Header><message:ID>{message_id}</message:ID><message:Test>false</message:Test>'
             f'<message:Prepared>{prepared}</message:Prepared><message:Sender id="VN_IIP"/>'
             f'<message:Structure structureID="IMF_ECOFIN_DSD_1_0" namespace="{NS}" '
             'dimensionAtObservation="TIME_PERIOD"><common:Structure><Ref agencyID="IMF" id="ECOFIN_DSD" '
             'version="1.0"/></common:Structure></message:Structure></message:Header>',
             '<message:DataSet ss:dataScope="DataStructure" xsi:type="ns1:DataSetType" '
             'ss:structureRef="IMF_ECOFIN_DSD_1_0">']
    for s in series:
        attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in {**s["key"], **s["attrs"]}.items())
        parts.append(f"<Series {attrs}>")
        for p, v, st in s["obs"]:
            if v is None:
                parts.append(f'<Obs TIME_PERIOD="{p}" OBS_VALUE="NaN" OBS_STATUS="C" CONF="C"/>')
            else:
                parts.append(f'<Obs TIME_PERIOD="{p}" OBS_VALUE="{v:.2f}"/>')
        parts.append("</Series>")
    parts.append("</message:DataSet></message:StructureSpecificData>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_json(series: list[dict], path: Path, *, message_id: str, prepared: str) -> Path:
    """SDMX-JSON 1.0 data message (series-level dimensions, TIME_PERIOD at observation level)."""
    dims = {d: sorted({s["key"][d] for s in series}) for d in DIMENSIONS}
    periods = sorted({p for s in series for p, _, _ in s["obs"]})
    status = ["C"]
    out_series = {}
    for s in series:
        k = ":".join(str(dims[d].index(s["key"][d])) for d in DIMENSIONS)
        out_series[k] = {"attributes": [0, 0], "observations": {
            str(periods.index(p)): ([round(v, 2), None] if v is not None else [None, 0]) for p, v, _ in s["obs"]}}
    base = sorted({s["attrs"]["BASE_PER"] for s in series})
    doc = {
        "header": {"id": message_id, "test": False, "prepared": prepared, "sender": {"id": "VN_IIP"}},
        "dataSets": [{"action": "Information", "series": out_series}],
        "structure": {
            "name": "IIP Viet Nam", "dimensions": {
                "series": [{"id": d, "name": d, "keyPosition": i, "values": [{"id": v, "name": v} for v in dims[d]]}
                           for i, d in enumerate(DIMENSIONS)],
                "observation": [{"id": "TIME_PERIOD", "name": "Time period", "role": "time",
                                 "values": [{"id": p, "name": p} for p in periods]}]},
            "attributes": {
                "dataSet": [], "series": [
                    {"id": "BASE_PER", "name": "Base period", "values": [{"id": b, "name": b} for b in base[:1]]},
                    {"id": "UNIT_MULT", "name": "Unit multiplier", "values": [{"id": "0", "name": "0"}]}],
                "observation": [{"id": "OBS_STATUS", "name": "Observation status",
                                 "values": [{"id": x, "name": "Confidential"} for x in status]}]}},
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def dsd():
    """The ECOFIN_DSD structure (dimensions, TIME_PERIOD, attributes) for sdmx1's structure-specific reader."""
    from sdmx.model import v21 as m

    d = m.DataStructureDefinition(id="ECOFIN_DSD", maintainer=m.Agency(id="IMF"), version="1.0")
    for i, name in enumerate(DIMENSIONS):
        d.dimensions.append(m.Dimension(id=name, order=i))
    d.dimensions.append(m.TimeDimension(id="TIME_PERIOD", order=len(DIMENSIONS)))
    d.measures.append(m.PrimaryMeasure(id="OBS_VALUE"))
    for a in ("BASE_PER", "UNIT_MULT", "OBS_STATUS", "CONF"):
        d.attributes.append(m.DataAttribute(id=a))
    return d


def write_csv(series: list[dict], path: Path) -> Path:
    rows = [{**s["key"], **s["attrs"], "TIME_PERIOD": p, "OBS_VALUE": v, "OBS_STATUS": "C" if v is None else ""}
            for s in series for p, v, _ in s["obs"]]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
