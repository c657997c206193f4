#!/usr/bin/env python3
"""Scale benchmark: `simulate` and `run` at several agent counts (docs/BENCHMARKS.md).

For each data set and agent count, runs `./demlearn simulate` and then `./demlearn run` with the same
options, samples the peak resident memory (VmHWM) of every process the command starts, and reads
seconds per round by phase from metrics.jsonl. Writes OUT/scale.md (a table) and OUT/scale.svg
(seconds per round against agents, log-log). Usage: see bench/scale.sh.
"""
import json, math, os, statistics, subprocess, sys, time

def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out

def status(pid):
    d = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                d[k] = v.strip()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            d["cmd"] = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return d

def name_of(cmd):
    words = cmd.split()
    jar = words[words.index("-jar") + 1] if "-jar" in words[:-1] else ""
    if jar.endswith("-runner.jar"):
        return "schema registry"
    for main, label in (("AgentWorkerMain", "worker"), ("ClustererMain", "clusterer"),
                        ("AggregatorMain", "aggregator"), ("BrokerMain", "broker")):
        if main in words:
            return label
    return "demlearn" if jar.endswith("demlearn.jar") else None

def timed(cmd, log):
    """Runs cmd; returns (exit code, wall seconds, {process name: peak RSS MB})."""
    peaks = {}
    t0 = time.time()
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        while p.poll() is None:
            for pid in descendants(p.pid):
                s = status(pid)
                if s and "VmHWM" in s:
                    name = name_of(s["cmd"])
                    if name:
                        key = (name, pid)
                        peaks[key] = max(peaks.get(key, 0), int(s["VmHWM"].split()[0]) / 1024)
            time.sleep(0.5)
    per_name = {}
    for (name, _), mb in peaks.items():
        per_name[name] = per_name.get(name, 0) + mb  # several workers of one kind add up
    return p.returncode, time.time() - t0, per_name

def phases(folder):
    rows = [json.loads(l) for l in open(os.path.join(folder, "metrics.jsonl"))][1:]
    out = {"s/round (median)": statistics.median(r["seconds"] for r in rows),
           "s/round (mean)": statistics.mean(r["seconds"] for r in rows)}
    keys = sorted({k for r in rows for k in r["timings"]})
    for k in keys:
        out[k] = statistics.median(r["timings"][k] for r in rows if k in r["timings"])
    return out

def svg(points, path):
    # points: {label: [(agents, seconds)]}
    w, h, left, bottom, top, right = 640, 420, 60, 45, 20, 170
    xs = [a for ps in points.values() for a, _ in ps]
    ys = [s for ps in points.values() for _, s in ps]
    x0, x1 = math.log10(min(xs)) - 0.1, math.log10(max(xs)) + 0.1
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    X = lambda a: left + (w - left - right) * (math.log10(a) - x0) / (x1 - x0)
    Y = lambda s: h - bottom - (h - bottom - top) * (math.log10(s) - y0) / (y1 - y0)
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>']
    for e in range(y0, y1 + 1):
        o.append(f'<line x1="{left}" x2="{w-right}" y1="{Y(10**e):.1f}" y2="{Y(10**e):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{left-6}" y="{Y(10**e)+4:.1f}" text-anchor="end">{10**e:g}</text>')
    for a in sorted(set(xs)):
        o.append(f'<line x1="{X(a):.1f}" x2="{X(a):.1f}" y1="{top}" y2="{h-bottom}" stroke="#eee"/>')
        o.append(f'<text x="{X(a):.1f}" y="{h-bottom+16}" text-anchor="middle">{a:,}</text>')
    o.append(f'<text x="{(left+w-right)/2}" y="{h-8}" text-anchor="middle">agents (log)</text>')
    o.append(f'<text x="14" y="{(top+h-bottom)/2}" transform="rotate(-90 14 {(top+h-bottom)/2})" text-anchor="middle">median s/round (log)</text>')
    styles = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    dashes = ["", "6,3", "2,3", "8,3,2,3"]
    marks = ["circle", "square", "triangle", "diamond"]
    for i, (label, ps) in enumerate(sorted(points.items())):
        ps = sorted(ps)
        c, d = styles[i % 4], dashes[i % 4]
        pts = " ".join(f"{X(a):.1f},{Y(s):.1f}" for a, s in ps)
        o.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2" stroke-dasharray="{d}"/>')
        for a, s in ps:
            x, y = X(a), Y(s)
            if marks[i % 4] == "circle":
                o.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}"/>')
            elif marks[i % 4] == "square":
                o.append(f'<rect x="{x-4:.1f}" y="{y-4:.1f}" width="8" height="8" fill="{c}"/>')
            elif marks[i % 4] == "triangle":
                o.append(f'<polygon points="{x:.1f},{y-5:.1f} {x-5:.1f},{y+4:.1f} {x+5:.1f},{y+4:.1f}" fill="{c}"/>')
            else:
                o.append(f'<polygon points="{x:.1f},{y-5:.1f} {x-5:.1f},{y:.1f} {x:.1f},{y+5:.1f} {x+5:.1f},{y:.1f}" fill="{c}"/>')
        ly = top + 18 * i + 10
        o.append(f'<line x1="{w-right+12}" x2="{w-right+42}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2" stroke-dasharray="{d}"/>')
        o.append(f'<text x="{w-right+48}" y="{ly+4}">{label}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")

def main():
    out, rounds, sizes, datasets = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split()], sys.argv[4].split()
    os.makedirs(out, exist_ok=True)
    lines = ["| data | agents | command | median s/round | mean s/round | train | cluster | aggregate | evaluate | peak RSS (MB) by process | wall s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    points = {}
    for dataset in datasets:
        for n in sizes:
            if dataset == "fashion-mnist" and n > 3150:
                print(f"fashion-mnist: {n} agents cannot be dealt (at most 3,150): skipped", flush=True)
                continue
            args = ["--dataset", dataset, "--agents", str(n), "--rounds", str(rounds),
                    "--eval-every", "5"] + (["--eval-agents", "1000"] if n > 1000 else [])
            medians = {}
            for command in ("simulate", "run"):
                folder = os.path.join(out, f"{command}-{dataset}-{n}")
                code, wall, rss = timed(["./demlearn", command, *args, "--overwrite", "--out", folder],
                                        folder + ".log")
                if code != 0:
                    sys.exit(f"{command} {dataset} {n} failed (exit {code}): see {folder}.log")
                p = phases(folder)
                medians[command] = p["s/round (median)"]
                points.setdefault(f"{command}, {dataset}", []).append((n, p["s/round (median)"]))
                f = lambda k: f"{p[k]:.2f}" if k in p else "-"
                mem = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(rss.items()))
                lines.append(f"| {dataset} | {n:,} | {command} | {f('s/round (median)')} | {f('s/round (mean)')} | "
                             f"{f('train')} | {f('cluster')} | {f('aggregate')} | {f('evaluate')} | "
                             f"{mem} (total {sum(rss.values()):,.0f}) | {wall:.0f} |")
                print(lines[-1], flush=True)
            print(f"{dataset} {n}: run/simulate {medians['run'] / medians['simulate']:.2f}", flush=True)
            lines.append(f"| {dataset} | {n:,} | run/simulate | {medians['run'] / medians['simulate']:.2f} | | | | | | | |")
    with open(os.path.join(out, "scale.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    svg(points, os.path.join(out, "scale.svg"))
    print(f"table: {out}/scale.md, plot: {out}/scale.svg")

main()
