"""Prints the benchmark's target ratios as a Markdown table from the
tab-separated results (query, engine, connections, requests/s) that
bench/run.sh collects. Targets are the issue's, defined at 16 connections;
other connection counts are shown for information."""
import sys
from collections import defaultdict

rps = defaultdict(dict)  # (query, conns) -> engine -> req/s
cpu = defaultdict(dict)  # (query, conns) -> engine -> (engine, postgres) CPU ms/req
conns = []
for line in open(sys.argv[1]):
    q, eng, c, r, ecpu, pcpu = (line.rstrip("\n").split("\t") + ["", ""])[:6]
    rps[(q, c)][eng] = float(r or 0)
    cpu[(q, c)][eng] = (float(ecpu) if ecpu else None, float(pcpu) if pcpu else None)
    if c not in conns:
        conns.append(c)


def target(q, other):
    if other == "go+pgx":
        return 0.9
    if other.startswith("GraphJin"):
        return {"Q1": 2.0, "Q2": 2.5}[q]
    if other.startswith("PostGraphile"):
        return {"Q1": 5.0, "Q2": 3.0}[q]
    return None


MINE = (("postgate", "Postgate"), ("postgate (no coalescing)", "Postgate (no coalescing)"))
print("| ratio | conns | Postgate req/s | other req/s | ratio | target | verdict |")
print("|---|---|---|---|---|---|---|")
for c in conns:
    for key, label in MINE:
        for q in ("Q1", "Q2"):
            row = rps.get((q, c), {})
            mine = row.get(key, 0)
            if not mine:
                continue
            for eng, other in row.items():
                if eng.startswith("postgate"):
                    continue
                ratio = mine / other if other else 0
                t = target(q, eng)
                verdict = ""
                if t is not None and c == "16":
                    verdict = "met" if ratio >= t else "missed by %.0f%%" % ((t - ratio) / t * 100)
                print("| %s %s / %s | %s | %.0f | %.0f | %.2f | %s | %s |" % (
                    q, label, eng, c, mine, other, ratio, "≥ %.1f" % t if t else "report", verdict))
        q2 = rps.get(("Q2", c), {}).get(key, 0)
        q3row = rps.get(("Q3", c), {})
        q3key = "postgate (JWT, role user, no coalescing)" if "no coalescing" in key else "postgate (JWT, role user)"
        q3 = q3row.get(q3key, 0)
        if q2 and q3:
            ratio = q3 / q2
            verdict = ("met" if ratio >= 0.9 else "missed by %.0f%%" % ((0.9 - ratio) / 0.9 * 100)) if c == "16" else ""
            print("| Q3 (JWT, user) / Q2 (admin), %s | %s | %.0f | %.0f | %.2f | ≥ 0.9 | %s |" % (label, c, q3, q2, ratio, verdict))
        if key != "postgate":
            continue
        hdr = q3row.get("postgate (admin secret as role user)", 0)
        if q3 and hdr:
            print("| Q3 (admin secret as user, no JWT) / Q2 (admin) | %s | %.0f | %.0f | %.2f | report | |" % (c, hdr, q2, hdr / q2))
            print("| Q3 (JWT) / Q3 (admin secret as user): JWT cost | %s | %.0f | %.0f | %.2f | report | |" % (c, q3, hdr, q3 / hdr))
        for eng in ("go+pgx", "pgbench"):
            o = q3row.get(eng, 0)
            if q3 and o:
                print("| Q3 (JWT, user) / %s serving Q3's SQL | %s | %.0f | %.0f | %.2f | report | |" % (eng, c, q3, o, q3 / o))

print()
print("Engine CPU per request (the part an engine controls; on this shared 2-core")
print("machine wrk, Postgres and the kernel take the rest of each request's CPU):")
print()
print("| query | conns | engine | engine CPU ms/req | × Postgate's | Postgres CPU ms/req | × Postgate's |")
print("|---|---|---|---|---|---|---|")
for c in conns:
    for q in ("Q1", "Q2", "Q3"):
        row = cpu.get((q, c), {})
        mine = row.get("postgate") or row.get("postgate (JWT, role user)")
        if not mine or mine[0] is None:
            continue
        for eng, (e, p) in row.items():
            if e is None or "profiled" in eng:
                continue
            fe = "%.2f" % (e / mine[0]) if mine[0] else ""
            fp = "%.2f" % (p / mine[1]) if p is not None and mine[1] else ""
            print("| %s | %s | %s | %.3f | %s | %s | %s |" % (q, c, eng, e, fe, "" if p is None else "%.3f" % p, fp))
