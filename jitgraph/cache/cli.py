"""``jitgraph-cache``: inspect and manage the compile cache.

    jitgraph-cache [--dir D] [--json] list | show KEY | stats | clear
                   | prune [--older-than 30d] [--max-size 2G] | verify

``--dir`` beats ``JITGRAPH_CACHE_DIR`` and the ``cache_dir`` flag. Output is a
human-readable table unless ``--json`` is given. ``verify`` exits with status 1 when
an entry is bad; ``show`` with status 1 when no entry (or several) match the prefix.
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import time

from jitgraph.cache import maintenance as mt


class _UsageError(Exception):
    pass


def _table(headers, rows, last_column_width=None):
    """Columns padded to their widest cell; the last column cut to ``last_column_width``."""
    if last_column_width is not None:
        rows = [row[:-1] + [_cut(row[-1], last_column_width)] for row in rows]
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    right = {i for i, h in enumerate(headers) if h in ("SIZE", "HITS", "AGE")}
    lines = []
    for row in [headers] + rows:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _cut(text, width):
    return text if len(text) <= width else text[:max(1, width - 1)] + "…"


def _entries(n):
    return f"{n} entry" if n == 1 else f"{n} entries"


def _print_json(value):
    print(json.dumps(value, indent=2, sort_keys=True))


def _when(timestamp):
    if timestamp is None:
        return "?"
    moment = datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")
    return f"{moment} ({mt.format_age(time.time() - timestamp)} ago)"


def cmd_list(cache_dir, args):
    entries = sorted(mt.iter_entries(cache_dir), key=lambda e: -(e.last_used or 0))
    if args.json:
        _print_json([e.as_json() for e in entries])
        return 0
    if not entries:
        print(f"no entries in {cache_dir}")
        return 0
    now = time.time()
    rows = [[e.key[:12], e.target, mt.format_size(e.size), e.hits,
             mt.format_age(now - e.created if e.created else None), e.summary] for e in entries]
    headers = ["KEY", "TARGET", "SIZE", "HITS", "AGE", "SUMMARY"]
    width = None
    if sys.stdout.isatty():
        used = sum(max(len(str(r[i])) for r in [headers] + rows) + 2 for i in range(len(headers) - 1))
        width = max(20, shutil.get_terminal_size().columns - used)
    print(_table(headers, rows, width))
    print(f"{_entries(len(entries))}, {mt.format_size(sum(e.size for e in entries))} in {cache_dir}")
    return 0


def _one_entry(cache_dir, prefix):
    matches = mt.find_entries(cache_dir, prefix)
    if not matches:
        raise _UsageError(f"no entry with a key starting {prefix!r} in {cache_dir}")
    if len(matches) > 1:
        keys = ", ".join(e.key[:16] for e in matches[:10])
        raise _UsageError(f"{len(matches)} entries start with {prefix!r}: {keys}; give more of the key")
    return matches[0]


def cmd_show(cache_dir, args):
    entry = _one_entry(cache_dir, args.key)
    build = entry.build_info
    try:
        with open(entry.source_path, encoding="utf-8", errors="replace") as f:
            source = f.read()
    except OSError:
        source = None
    if args.json:
        _print_json(dict(entry.as_json(), build=build, source_path=entry.source_path, source=source))
        return 0
    meta = entry.meta or {}
    print(f"key:        {entry.key}")
    print(f"directory:  {entry.directory}")
    print(f"target:     {entry.target}")
    print(f"summary:    {entry.summary}")
    print(f"created:    {_when(entry.created)}")
    print(f"last used:  {_when(entry.last_used)}")
    print(f"hits:       {entry.hits}")
    print(f"module:     {mt.format_size(meta.get('size', 0))}, sha256 {meta.get('sha256', '?')}")
    print(f"build time: {meta['build_seconds']:.3f} s" if "build_seconds" in meta else "build time: ?")
    print()
    print("build command:")
    if build and build.get("command"):
        command = build.get("command_line") or " ".join(build["command"])
        print("  " + command)
        if build.get("compiler_version"):
            print(f"  ({build['compiler_version']})")
    else:
        print("  (not recorded: build.json is missing or has no command)")
    print()
    print(f"source ({entry.source_path}):")
    print(source if source is not None else "  (missing)")
    return 0


def cmd_stats(cache_dir, args):
    totals = mt.stats(cache_dir)
    if args.json:
        _print_json(totals)
        return 0
    print(f"cache dir:       {cache_dir}")
    print(f"entries:         {totals['entries']}"
          + ("" if not totals["by_target"] else
             " (" + ", ".join(f"{t}: {n}" for t, n in sorted(totals["by_target"].items())) + ")"))
    print(f"total size:      {mt.format_size(totals['total_bytes'])}")
    print(f"hits:            {totals['hits']}")
    print(f"hit rate:        {100 * totals['hit_rate']:.1f}% (hits / (hits + builds))")
    if totals["unreadable"]:
        print(f"unreadable:      {totals['unreadable']} (run `jitgraph-cache verify`)")
    if totals["failed_sources"]:
        print(f"failed sources:  {totals['failed_sources']} kept in {os.path.join(cache_dir, 'failed')}")
    return 0


def cmd_clear(cache_dir, args):
    removed = mt.clear(cache_dir)
    freed = sum(e.size for e in removed)
    if args.json:
        _print_json({"cache_dir": cache_dir, "removed": [e.key for e in removed], "freed_bytes": freed})
    else:
        print(f"removed {_entries(len(removed))} ({mt.format_size(freed)}) from {cache_dir}")
    return 0


def cmd_prune(cache_dir, args):
    try:
        older_than = mt.parse_age(args.older_than) if args.older_than is not None else None
        max_size = mt.parse_size(args.max_size) if args.max_size is not None else None
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    if older_than is None and max_size is None:
        older_than = mt.parse_age("30d")
    removed, kept = mt.prune(cache_dir, older_than=older_than, max_size=max_size)
    freed, left = sum(e.size for e in removed), sum(e.size for e in kept)
    if args.json:
        _print_json({"cache_dir": cache_dir, "removed": [e.key for e in removed], "freed_bytes": freed,
                     "kept": len(kept), "kept_bytes": left})
    else:
        print(f"removed {_entries(len(removed))} ({mt.format_size(freed)}); "
              f"kept {len(kept)} ({mt.format_size(left)}) in {cache_dir}")
    return 0


def cmd_verify(cache_dir, args):
    results = [(e, mt.verify_entry(e)) for e in mt.iter_entries(cache_dir)]
    bad = [(e, problem) for e, problem in results if problem is not None]
    if args.json:
        _print_json({"cache_dir": cache_dir, "checked": len(results), "bad": len(bad),
                     "entries": [{"key": e.key, "ok": p is None, "problem": p} for e, p in results]})
    else:
        if bad:
            print(_table(["KEY", "PROBLEM"], [[e.key[:12], p] for e, p in bad]))
        print(f"{_entries(len(results))} checked, {len(bad)} bad"
              + (" (remove them with `jitgraph-cache clear`, or let the next build replace them)" if bad else ""))
    return 1 if bad else 0


def build_parser():
    # --dir/--json are accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default=argparse.SUPPRESS, metavar="D",
                        help="cache directory (beats JITGRAPH_CACHE_DIR and the cache_dir flag)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable output")
    parser = argparse.ArgumentParser(prog="jitgraph-cache", parents=[common],
                                     description="Inspect and manage jitgraph's compile cache.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", parents=[common], help="table of entries: key, target, size, hits, age, summary")
    show = sub.add_parser("show", parents=[common], help="an entry's generated source and build command")
    show.add_argument("key", metavar="KEY", help="the key or a unique prefix of it")
    sub.add_parser("stats", parents=[common], help="number of entries, total size, hits, hit rate")
    sub.add_parser("clear", parents=[common], help="remove every entry")
    prune = sub.add_parser("prune", parents=[common],
                           help="remove old entries, then least recently used ones above a size "
                                "(with neither option: --older-than 30d)")
    prune.add_argument("--older-than", metavar="AGE", help="unused for longer than AGE (units s, m, h, d)")
    prune.add_argument("--max-size", metavar="SIZE", help="keep at most SIZE in total (units K, M, G)")
    sub.add_parser("verify", parents=[common], help="check every entry's hash and that it loads; status 1 if bad")
    return parser


COMMANDS = {"list": cmd_list, "show": cmd_show, "stats": cmd_stats, "clear": cmd_clear,
            "prune": cmd_prune, "verify": cmd_verify}


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    cache_dir = getattr(args, "dir", None)
    if cache_dir is None:
        from jitgraph.config import config
        cache_dir = config.cache_dir
    cache_dir = os.path.abspath(os.path.expanduser(cache_dir))
    try:
        return COMMANDS[args.command](cache_dir, args)
    except BrokenPipeError:            # `jitgraph-cache list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (_UsageError, OSError) as exc:
        print(f"jitgraph-cache: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
