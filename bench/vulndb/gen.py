#!/usr/bin/env python3
"""Generate NVD-shaped CVE JSON 2.0 feeds and a CycloneDX SBOM for the
vulndb benchmark.

Records look like the NVD's: a CVE id, timestamps, an English description,
a CVSS v3.1 metric with a real vector and its score, and configurations of
one to four CPE matches over a pool of vendors and products, with
versionStart/End bounds, exact versions and, for a fifth of the records, an
AND configuration with a non-vulnerable platform (firmware on a device).
The SBOM draws its components from the same product pool, so matching does
real work.

usage: gen.py OUTDIR RECORDS COMPONENTS
"""
import json
import os
import random
import sys

out, n_records, n_components = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
rnd = random.Random(20261207)

VECTORS = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N", 5.9),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5),
]
SYL = ["net", "cam", "link", "box", "soft", "tech", "data", "micro", "web", "sys",
       "core", "io", "hub", "gate", "wave", "secure", "smart", "home", "zen", "nova"]


def word(k):
    return "".join(rnd.choice(SYL) for _ in range(k))


# About 40,000 vendor:product pairs, so that a product has a few dozen
# records on average, as in the NVD outside its few giants.
vendors = sorted({word(3) for _ in range(7000)})
products = []
for v in vendors:
    for _ in range(rnd.randint(1, 12)):
        products.append((v, word(2) + rnd.choice(["", "_server", "_firmware", "d", "_httpd"])))
platforms = [(v, p + "_firmware") for v, p in rnd.sample(products, 2000)]


def version():
    style = rnd.random()
    if style < 0.5:
        return f"{rnd.randint(0, 12)}.{rnd.randint(0, 30)}.{rnd.randint(0, 40)}"
    if style < 0.7:
        return f"{rnd.randint(2010, 2025)}.{rnd.randint(1, 90)}"
    if style < 0.85:
        return f"{rnd.randint(1, 9)}.{rnd.randint(0, 9)}p{rnd.randint(1, 3)}"
    return f"{rnd.randint(1, 3)}.{rnd.randint(0, 2)}.{rnd.randint(0, 9)}{rnd.choice('abcdefghk')}"


def cpe(v, p, ver="*", part="a"):
    return f"cpe:2.3:{part}:{v}:{p}:{ver}:*:*:*:*:*:*:*"


def cpe_match(v, p):
    r = rnd.random()
    m = {"vulnerable": True, "criteria": cpe(v, p), "matchCriteriaId": "00000000-0000-0000-0000-000000000000"}
    if r < 0.45:
        m["versionEndExcluding"] = version()
    elif r < 0.65:
        m["versionStartIncluding"] = version()
        m["versionEndExcluding"] = version()
    elif r < 0.8:
        m["versionEndIncluding"] = version()
    else:
        m["criteria"] = cpe(v, p, version())
    return m


def record(i, year):
    vec, score = rnd.choice(VECTORS)
    matches = [cpe_match(*rnd.choice(products)) for _ in range(rnd.randint(1, 4))]
    configs = [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]}]
    if rnd.random() < 0.2:
        pv, pp = rnd.choice(platforms)
        configs.append({"operator": "AND", "nodes": [
            {"operator": "OR", "negate": False, "cpeMatch": [cpe_match(*rnd.choice(products))]},
            {"operator": "OR", "negate": False, "cpeMatch": [
                {"vulnerable": False, "criteria": cpe(pv, pp, "-", "h")}]}]})
    return {"cve": {
        "id": f"CVE-{year}-{i:06d}",
        "sourceIdentifier": "cve@mitre.org",
        "published": f"{year}-03-01T10:00:00.000",
        "lastModified": f"{year}-06-01T10:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "A buffer overflow in the request parser allows remote attackers to execute code via a crafted request. " * 2}],
        "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {
            "version": "3.1", "vectorString": vec, "baseScore": score, "baseSeverity": "HIGH"},
            "exploitabilityScore": 3.9, "impactScore": 5.9}]},
        "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary", "description": [{"lang": "en", "value": "CWE-787"}]}],
        "configurations": configs,
        "references": [{"url": f"https://example.org/advisories/{year}/{i}", "source": "cve@mitre.org"}],
    }}


per_file = 25000
years = range(2000, 2000 + (n_records + per_file - 1) // per_file)
made = 0
for year in years:
    k = min(per_file, n_records - made)
    vulns = [record(made + j, year) for j in range(k)]
    made += k
    with open(os.path.join(out, f"nvdcve-2.0-{year}.json"), "w") as f:
        json.dump({"resultsPerPage": k, "startIndex": 0, "totalResults": k, "format": "NVD_CVE",
                   "version": "2.0", "timestamp": "2026-12-01T00:00:00.000", "vulnerabilities": vulns}, f)

comps = []
for i in range(n_components):
    v, p = rnd.choice(products)
    ver = version()
    comps.append({"type": "application", "bom-ref": f"c{i}", "name": p, "version": ver,
                  "cpe": cpe(v, p, ver)})
with open(os.path.join(out, "sbom.cdx.json"), "w") as f:
    json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps,
               "dependencies": [{"ref": f"c{i}", "dependsOn": [f"c{i + 1}"]} for i in range(n_components - 1)]}, f)
print(f"{made} records in {len(years)} files, {n_components} components, {len(products)} products")
