"""The printed tables (CPU, then GPU) and the JSON file of `make bench`."""
import datetime
import json
import os
import platform
import sys

COLUMN_TITLES = {"numpy": "numpy", "jitgraph": "jitgraph", "pytensor": "pytensor (C)", "jax": "jax (jit)"}
CELL_WIDTH = 19
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")


def format_seconds(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            break
    else:
        unit, scale = "ns", 1e-9
    value = seconds / scale
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def format_ratio(ratio):
    return f"{ratio:.0f}×" if ratio >= 100 else f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×"


def describe_run(args, settings, frameworks, available, elapsed, load_before):
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": bool(args.quick), "rounds": settings.rounds, "build_rounds": settings.build_rounds,
        "round_seconds": settings.round_seconds, "threads": args.threads,
        "python": sys.version.split()[0], "platform": platform.platform(), "cpu_count": os.cpu_count(),
        "frameworks": {fw: {"available": available[fw][0] is not None, "version": available[fw][0],
                            "error": available[fw][1]} for fw in frameworks},
        "thread_environment": {var: os.environ.get(var) for var in THREAD_VARIABLES},
        "pytensor_blas": getattr(args, "pytensor_blas", None),
        "elapsed_seconds": round(elapsed, 1),
        # Other work on the machine skews every figure; the 1-minute load before we started
        # says how busy it was (at the end it includes our own threads).
        "load_average_before": load_before,
        "load_average_at_end": load_average(),
    }


def load_average():
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _baseline_title(row, rows_by_name):
    if row.kind == "build":
        return ""
    if not row.baseline:
        return "numpy"
    base_row, base_fw = row.baseline
    return f"{base_fw}: {rows_by_name[base_row].name}"


def _cell_text(cell, footnote):
    if cell is None:
        return ""
    if cell.status != "ok":
        return f"{cell.status} [{footnote}]"
    text = format_seconds(cell.seconds)
    if cell.ratio is not None:
        text += f" {format_ratio(cell.ratio):>6s}"
    if cell.matches_numpy is False:
        text += f" ![{footnote}]"
    return text


def format_table(rows, results, frameworks, meta):
    """One table: a line per row, a column per framework, footnotes for anything not plain."""
    rows_by_name = {r.name: r for r in rows}
    versions = ", ".join(f"{fw} {info['version']}" if info["available"] else f"{fw} n/a"
                         for fw, info in meta["frameworks"].items())
    header = [f"# jitgraph bench{' (quick)' if meta['quick'] else ''}: {versions}",
              f"# {meta['threads']} thread(s) for every framework; median of {meta['rounds']} rounds "
              f"(build rows: of {meta['build_rounds']} fresh cache dir(s),"
              " each built cold then warm in two new processes)",
              "# each cell: time per call (per build), then time / the row's baseline"]
    if meta["load_average_before"] is not None and meta["load_average_before"] > 0.5 * (meta["cpu_count"] or 1):
        header.append(f"# warning: the machine was busy (load average {meta['load_average_before']} on "
                      f"{meta['cpu_count']} CPUs); figures are skewed by other work")
    if meta["pytensor_blas"]:
        header.append(f"# pytensor: C backend (Mode(linker='cvm')), {meta['pytensor_blas']}")
    label_width = max(len("benchmark"), *(len(r.label) for r in rows))
    lines = [f"{'benchmark':<{label_width}}  " + "".join(f"{COLUMN_TITLES[fw]:>{CELL_WIDTH}}" for fw in frameworks)
             + "  baseline"]
    lines.append("-" * len(lines[0]))
    footnotes, notes_seen = [], {}
    for row in rows:
        texts = []
        for fw in frameworks:
            cell = results[row.name].get(fw)
            footnote = None
            if cell is not None and cell.note:
                key = (fw, cell.note)
                if key not in notes_seen:   # a missing framework is explained once
                    footnotes.append(f"[{len(footnotes) + 1}] {fw}, {row.name}: {cell.note}")
                    notes_seen[key] = len(footnotes)
                footnote = notes_seen[key]
            texts.append(_cell_text(cell, footnote))
        lines.append(f"{row.label:<{label_width}}  " + "".join(f"{t:>{CELL_WIDTH}}" for t in texts)
                     + f"  {_baseline_title(row, rows_by_name)}")
    return "\n".join(header + [""] + lines + ([""] + footnotes if footnotes else []))


def _gpu_cell_text(cell, footnote, bytes_moved):
    if cell.status != "ok":
        return f"{cell.status} [{footnote}]"
    text = format_seconds(cell.seconds)
    if bytes_moved:
        text += f" {bytes_moved / cell.seconds / 1e9:4.0f} GB/s"
    if cell.matches_numpy is False:
        text += f" ![{footnote}]"
    return text


def format_gpu_section(section, meta):
    """The GPU table and issue 7's targets; one line when the section was skipped."""
    if section.skipped:
        return f"GPU section skipped: {section.skipped}"
    from bench_cuda_cases import COLUMN_TITLES, COLUMNS
    columns = [c for c in COLUMNS if any(c in section.results[r.name] for r in section.rows)]
    header = [f"# GPU: {section.device}; PyTorch: {section.torch}",
              f"# median of {meta['rounds']} rounds; every GPU call synchronises the stream before the clock "
              f"stops; jitgraph cpu: the CPU path on {meta['threads']} thread(s)",
              "# GB/s: bytes read + written per call / time"]
    label_width = max(len("GPU benchmark"), *(len(r.label) for r in section.rows))
    lines = [f"{'GPU benchmark':<{label_width}}  " + "".join(f"{COLUMN_TITLES[c]:>{CELL_WIDTH + 4}}" for c in columns)]
    lines.append("-" * len(lines[0]))
    footnotes, notes_seen = [], {}
    for row in section.rows:
        texts = []
        for column in columns:
            cell = section.results[row.name].get(column)
            footnote = None
            if cell is not None and cell.note:
                if (column, cell.note) not in notes_seen:
                    footnotes.append(f"[{len(footnotes) + 1}] {column}, {row.name}: {cell.note}")
                    notes_seen[column, cell.note] = len(footnotes)
                footnote = notes_seen[column, cell.note]
            texts.append("" if cell is None else _gpu_cell_text(cell, footnote, row.bytes_moved))
        lines.append(f"{row.label:<{label_width}}  " + "".join(f"{t:>{CELL_WIDTH + 4}}" for t in texts))
    targets = ["targets (issue 7):"] + [f"  {t.text} (target {t.goal}): {'met' if t.met else 'NOT met'}"
                                        for t in section.targets]
    if not section.targets:
        targets.append("  none measured (see the cells above)")
    return "\n".join(header + [""] + lines + ([""] + footnotes if footnotes else []) + [""] + targets)


def write_json(path, rows, results, meta, gpu=None):
    payload = {"meta": meta, "rows": [
        {"name": r.name, "group": r.group, "label": r.label, "kind": r.kind,
         "unit": "seconds per build" if r.kind == "build" else "seconds per call",
         "baseline": None if r.kind == "build" else dict(zip(("row", "framework"), r.baseline or (r.name, "numpy"))),
         "results": {fw: cell.as_json() for fw, cell in results[r.name].items()}}
        for r in rows]}
    if gpu is not None:
        payload["gpu"] = gpu.as_json()
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")
