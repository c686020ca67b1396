"""Row labels -> codes: Vietnamese division, product and province names as GSO prints them.

Labels are compared after :func:`normalize_label` (diacritics, case, punctuation, line breaks and the
abbreviations 'SX', 'SP', 'HĐ' folded away). The label -> code tables are CSV files in
``iip/reference/data`` (``gso_vsic_aliases.csv``, ``gso_product_aliases.csv``: label,code[,unit]).
A code ``-`` marks a label known on purpose to have no code (e.g. the VSIC-1993 aggregate
'Sản xuất, phân phối điện, ga, nước'): such rows are skipped without a warning. A label listed with
several codes (in file order) takes the first code not yet used in the same table, e.g.
'Sản xuất và phân phối điện' is section D on its first line and division 35 on a repeated line.
"""
from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from iip.reference.geography import province_area
from iip.reference.labels import label_key

SKIP = "-"


def normalize_label(label: object) -> str:
    """Matching key of a row label: :func:`iip.reference.labels.label_key` (the package's one label
    normaliser, diacritics folded). 'SX sản phẩm  điện tử,\nmáy vi tính' -> 'san xuat san pham dien tu may vi tinh'."""
    return label_key(label)


def _read_csv(name: str) -> list[dict]:
    path = resources.files("iip.reference") / "data" / name
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def aliases(name: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """normalised label -> ((code, unit), ...) in file order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in _read_csv(name):
        key = normalize_label(row["label"])
        entry = (row["code"].strip(), (row.get("unit") or "").strip())
        if entry not in out.setdefault(key, []):
            out[key].append(entry)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _names(kind: str) -> dict[str, str]:
    """Official names -> code, keyed by normalize_label: VSIC nodes (name_vi, name_en; a name shared by
    a division and its group/class gives the division), products (catalogue name_vi, name_en) or
    regions (vi and en)."""
    import iip.reference as ref
    out: dict[str, str] = {}
    if kind == "product":
        cat = ref.products()
        pairs = [(c, n) for col in ("name_vi", "name_en") for c, n in zip(cat["product_code"], cat[col])]
    elif kind == "vsic":
        tree = ref.vsic()
        pairs = [(c, n) for col in ("name_vi", "name_en") for c, n in zip(tree["code"], tree[col])]
    else:
        rg = ref.regions()
        pairs = [(c, n) for col in ("name_vi", "name_en") for c, n in zip(rg["region_code"], rg[col])]
    for code, name in pairs:
        out.setdefault(normalize_label(name), code)
    return out


def map_area(label: object, *, period: str | None = None, used: set[str] | None = None) -> str | None:
    """Province or region code of a label in the geography of ``period`` (the release month): a province is
    one of the 63 codes before July 2025 and one of the 34 ``N<code>`` areas from then on
    (:func:`iip.reference.province_area`: GSO's spellings 'TP. Hồ Chí Minh', 'Thừa Thiên - Huế', 'Huế',
    'Đăk Lăk' ...); a region by its official name (vi, en)."""
    return province_area(label, period) or _names("region").get(normalize_label(label))


def map_label(label: object, *, table: str = "gso_vsic_aliases.csv", used: set[str] | None = None) -> str | None:
    """Code of a label (``-`` for a deliberately skipped label), or None when unknown (caller warns).
    VSIC labels not in the alias file are looked up among the official VSIC names (vi, en)."""
    key = normalize_label(label)
    hits = aliases(table).get(key)
    if not hits and table == "gso_vsic_aliases.csv" and key in _names("vsic"):
        hits = ((_names("vsic")[key], ""),)
    if not hits:
        return None
    for code, _unit in hits:
        if used is None or code not in used:
            return code
    return hits[-1][0]


def map_product(label: object, unit: str | None = None) -> str | None:
    """Product code of a (label, unit) pair from gso_product_aliases.csv; unit disambiguates."""
    key = normalize_label(label)
    hits = aliases("gso_product_aliases.csv").get(key) or (
        ((_names("product")[key], ""),) if key in _names("product") else None)
    if not hits:
        return None
    if unit:
        u = normalize_label(unit)
        for code, hu in hits:
            if not hu or normalize_label(hu) == u:
                return code
        return None
    return hits[0][0]
