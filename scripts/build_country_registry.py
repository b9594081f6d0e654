"""One-off derivation of src/crmsec/registry/countries.csv (kept for reproducibility; not run at build time).

Inputs (vendored): data/raw/country_classification (country_converter 1.3.2), data/raw/baci_geopolrisk
country codes, data/raw/wgi long file; Dutch names from the Unicode CLDR via Babel; NATO membership from
nato.int "Member countries" (accession years); EU FTAs and like-minded partners from the hand-made, sourced
tables src/crmsec/registry/eu_trade_agreements.csv and like_minded_partners.csv.
Run: .venv/bin/python scripts/build_country_registry.py
"""

from pathlib import Path

import pandas as pd
from babel import Locale

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "src" / "crmsec" / "registry" / "countries.csv"

# nato.int, "NATO member countries" (accession year); 32 members as of 2024 (transcribed from memory; verify).
NATO = {
    "BEL": 1949, "CAN": 1949, "DNK": 1949, "FRA": 1949, "ISL": 1949, "ITA": 1949, "LUX": 1949, "NLD": 1949,
    "NOR": 1949, "PRT": 1949, "GBR": 1949, "USA": 1949, "GRC": 1952, "TUR": 1952, "DEU": 1955, "ESP": 1982,
    "CZE": 1999, "HUN": 1999, "POL": 1999, "BGR": 2004, "EST": 2004, "LVA": 2004, "LTU": 2004, "ROU": 2004,
    "SVK": 2004, "SVN": 2004, "ALB": 2009, "HRV": 2009, "MNE": 2017, "MKD": 2020, "FIN": 2023, "SWE": 2024,
}
# WGI uses a few legacy codes.
WGI_CODE = {"AND": "ADO", "COD": "ZAR", "XKX": "KSV", "ROU": "ROM", "TLS": "TMP", "PSE": "WBG"}


def main() -> None:
    coco = pd.read_csv(RAW / "country_classification/country_converter_country_data_v1.3.2.tsv", sep="\t", dtype=str)
    baci = pd.read_csv(RAW / "baci_geopolrisk/country_codes_V202401b.csv", dtype=str, keep_default_na=False)
    wgi = pd.read_csv(RAW / "wgi/wgidataset_2024update_1996-2023_long.csv.gz", dtype=str, usecols=["code"])
    wgi_codes = set(wgi["code"])
    nl = Locale("nl").territories
    baci = baci.assign(country_iso3=baci["country_iso3"].replace({"S19": "TWN"}))
    # current BACI code per ISO3 (BACI keeps historic codes, e.g. 58 Belgium-Luxembourg, 280 FRG)
    hist = baci["country_name"].str.contains(r"\(\.\.\.", regex=True)
    baci_cur = baci[~hist].drop_duplicates("country_iso3").set_index("country_iso3")["country_code"]
    rows = []
    for r in coco.itertuples(index=False):
        iso3 = r.ISO3
        wgi_code = WGI_CODE.get(iso3, iso3)
        rows.append(
            {
                "iso3": iso3,
                "iso2": r.ISO2 if isinstance(r.ISO2, str) else "",
                "iso_numeric": int(float(r.ISOnumeric)) if isinstance(r.ISOnumeric, str) else "",
                "baci_code": baci_cur.get(iso3, ""),
                "wgi_code": wgi_code if wgi_code in wgi_codes else "",
                "name_en": r.name_short,
                "name_nl": nl.get(r.ISO2, r.name_short) if isinstance(r.ISO2, str) else r.name_short,
                "eu27": int(r.EU27 == "EU27"),
                "oecd": int(isinstance(r.OECD, str) and r.OECD != ""),
                "g7": int(r.G7 == "G7"),
                "g20": int(r.G20 == "G20"),
                "nato": int(iso3 in NATO),
                "nato_since": NATO.get(iso3, ""),
                "continent": r.continent,
                "name_official": r.name_official,
                "regex": r.regex,
            }
        )
    out = pd.DataFrame(rows)
    out = out[out["iso3"].str.fullmatch(r"[A-Z]{3}")].sort_values("iso3")  # drops coco pseudo-code BA1
    out.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(out)} countries)")  # noqa: T201


if __name__ == "__main__":
    main()
