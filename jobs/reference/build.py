"""Builds the reference city and the dispatch table (派单目录) as reviewable CSV files.

The city is **synthetic** (民声市, code 990100: province code 99 does not exist in GB/T 2260, so no
code can be mistaken for a real place). Its shape follows the real code structures: 6-digit
districts (01–18 城区, 21+ 县), 9-digit streets (001–099 街道, 100–199 镇) and 12-digit communities
(001–199 居委会, 200–399 村委会). Run ``python -m jobs.reference.build`` after changing the rules;
the output is deterministic and committed under ``jobs/reference/data``.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CITY_CODE = "990100"
CITY_NAME = "民声市(合成)"
CENTER = (118.80, 32.05)

# name, code suffix, kind (urban core / inner suburb / outer suburb / county), streets, mean community pop
DISTRICTS = [
    ("东城区", "02", "core", 10, 5200), ("西城区", "03", "core", 11, 5600), ("南湖区", "04", "core", 9, 5000),
    ("北山区", "05", "inner", 12, 4600), ("江岸区", "06", "inner", 12, 4300), ("青云区", "07", "inner", 10, 4100),
    ("高新区", "08", "inner", 8, 3900), ("临港区", "09", "outer", 11, 3300), ("望江区", "10", "outer", 12, 3100),
    ("金台区", "11", "outer", 10, 3000), ("白石县", "21", "county", 13, 1900), ("龙泉县", "22", "county", 12, 1800),
]
SYL_A = list("东西南北中新和平安华兴长永福文明光春秋梅兰竹桂柳松杨桥湖山河江泉石云阳清宁康乐嘉瑞丰盛德仁义礼智信")
SYL_B = list("园林苑城坊门桥湾塘港岭坡庄营屯堡岗洲渚溪源亭台苑宁和康泰丰裕华兴隆昌盛")
ESTATE_SUFFIX = ["花园", "小区", "家园", "苑", "雅居", "新村", "公寓", "华庭", "名都", "佳园"]
ROAD_SUFFIX = ["路", "大街", "大道", "街", "巷"]


def _name(rng: random.Random, used: set[str], length: int = 2) -> str:
    for _ in range(10_000):
        n = rng.choice(SYL_A) + "".join(rng.choice(SYL_B if i else SYL_A) for i in range(length - 1))
        if n not in used:
            used.add(n)
            return n
    raise RuntimeError("name pool exhausted")


def build_city(seed: int = 12345) -> tuple[list[dict], list[dict], list[dict]]:
    rng = random.Random(seed)
    districts, streets, communities = [], [], []
    used_street: set[str] = set()
    used_comm: set[str] = set()
    used_estate: set[str] = set()
    used_road: set[str] = set()
    for i, (dname, suffix, kind, n_streets, mean_pop) in enumerate(DISTRICTS):
        dcode = CITY_CODE[:4] + suffix
        angle = 2 * math.pi * i / len(DISTRICTS)
        radius = {"core": 0.04, "inner": 0.12, "outer": 0.25, "county": 0.45}[kind]
        dlon, dlat = CENTER[0] + radius * math.cos(angle), CENTER[1] + radius * math.sin(angle)
        propensity = round(rng.uniform(0.8, 1.25), 3)
        d_pop = 0
        n_town = {"core": 0, "inner": 1, "outer": 4, "county": 9}[kind]
        for s in range(n_streets):
            is_town = s >= n_streets - n_town
            scode = dcode + (f"{100 + s:03d}" if is_town else f"{1 + s:03d}")
            sname = _name(rng, used_street) + ("镇" if is_town else "街道")
            slon = dlon + rng.uniform(-0.03, 0.03) * (2 if kind == "county" else 1)
            slat = dlat + rng.uniform(-0.03, 0.03) * (2 if kind == "county" else 1)
            roads = [_name(rng, used_road) + rng.choice(ROAD_SUFFIX) for _ in range(rng.randint(3, 5))]
            n_comm = rng.randint(9, 14)
            s_pop = 0
            for c in range(n_comm):
                village = is_town and c >= 3
                ccode = scode + (f"{200 + c:03d}" if village else f"{1 + c:03d}")
                cname = _name(rng, used_comm, rng.choice((2, 2, 3))) + ("村" if village else "社区")
                pop = int(rng.lognormvariate(math.log(mean_pop * (0.5 if village else 1.0)), 0.35))
                if kind == "core":
                    urc = "111"
                elif kind == "inner":
                    urc = "111" if not is_town else "121"
                elif village:
                    urc = rng.choice(["210", "220", "220"])
                else:
                    urc = "112" if not is_town else "121"
                estates = [_name(rng, used_estate, rng.choice((2, 3))) + rng.choice(ESTATE_SUFFIX) for _ in range(1 if village else rng.randint(2, 3))]
                communities.append({
                    "community_code": ccode, "community_name": cname, "street_code": scode,
                    "district_code": dcode, "urban_rural_class": urc, "population": pop,
                    "lon": round(slon + rng.uniform(-0.01, 0.01), 5), "lat": round(slat + rng.uniform(-0.01, 0.01), 5),
                    "estates": ";".join(estates),
                })
                s_pop += pop
            streets.append({
                "street_code": scode, "street_name": sname, "district_code": dcode,
                "street_type": "镇" if is_town else "街道", "population": s_pop,
                "lon": round(slon, 5), "lat": round(slat, 5), "roads": ";".join(roads),
            })
            d_pop += s_pop
        districts.append({
            "district_code": dcode, "district_name": dname, "city_code": CITY_CODE, "city_name": CITY_NAME,
            "district_kind": kind, "population": d_pop, "complaint_propensity": propensity,
            "lon": round(dlon, 5), "lat": round(dlat, 5),
        })
    return districts, streets, communities


def _aliases() -> dict[str, str]:
    with (DATA / "departments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {alias: r["dept_code"] for r in rows for alias in r["aliases"].split(";")}


def build_dispatch(districts: list[dict]) -> list[dict]:
    """L3 × district → lead and assisting departments.

    The category tree names departments as ``lead/assist…[;街乡]`` (domain-standard §7(b)). Rules:
    the first name leads; the others assist; ``街乡`` adds the street office as 属地 co-handler. In
    the counties, 市容/违建/占道 (L2 0201–0203) is led by the town government itself, and 治安与邻里
    纠纷 (1001) by the district police branch everywhere.
    """
    aliases = _aliases()
    with (DATA / "category_tree_v1.csv").open(encoding="utf-8") as fh:
        tree = list(csv.DictReader(fh))
    rows = []
    for cat in tree:
        spec = cat["lead_dept"] if cat["lead_dept"] not in ("", "—") else "政务服务局"
        depts, _, local = spec.partition(";")
        names = depts.split("/")
        codes = [aliases[n] for n in names]
        for d in districts:
            lead, assists = codes[0], codes[1:]
            level = "1"
            if local == "街乡":
                assists = [*assists, "S00"]
            if d["district_kind"] == "county" and cat["l2_code"] in ("0201", "0202", "0203"):
                lead, assists, level = "S00", [codes[0]], "3"
            elif lead in ("D21", "D36"):
                level = "2"
            elif lead in ("D09", "D10", "D11", "D12", "D14", "D18"):
                level = "5"
            rows.append({
                "l3_code": cat["l3_code"], "district_code": d["district_code"], "lead_dept_code": lead,
                "assist_dept_codes": ";".join(dict.fromkeys(a for a in assists if a != lead)),
                "dispatch_level": level, "effective_from": "2020-01-01",
            })
    return rows


def _write(name: str, rows: list[dict]) -> None:
    with (DATA / name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    districts, streets, communities = build_city()
    _write("city_districts.csv", districts)
    _write("city_streets.csv", streets)
    _write("city_communities.csv", communities)
    _write("dispatch_rules.csv", build_dispatch(districts))
    print(f"{len(districts)} districts, {len(streets)} streets, {len(communities)} communities, "
          f"population {sum(d['population'] for d in districts):,}")


if __name__ == "__main__":
    main()
