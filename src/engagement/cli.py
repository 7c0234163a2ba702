"""The command line: ``engagement demo | prepare | validate | report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engagement import schema
from engagement.clean import SOURCES, prepare, repository_root


def _demo(args: argparse.Namespace) -> int:
    from engagement.sources import demo

    manifest = demo.write_demo(args.out, seed=args.seed, n_learners=args.learners,
                               n_organisations=args.organisations, n_courses=args.courses,
                               weeks=args.weeks, effects=args.effects)
    print(f"demo community written to {args.out} ({len(manifest['files'])} files, "
          f"seed {args.seed})")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    path = prepare(args.source, args.raw_dir, name=args.name, timezone=args.timezone,
                   processed_root=args.processed_root, exclude_ids=tuple(args.exclude_ids),
                   admin_ids=tuple(args.admin_ids))
    print(f"processed dataset written to {path}")
    return _validate(argparse.Namespace(dataset=str(path), processed_root=None))


def _dataset_path(name: str, processed_root: str | None) -> Path:
    path = Path(name)
    if path.is_dir():
        return path
    return Path(processed_root or repository_root() / "data" / "processed") / name


def _validate(args: argparse.Namespace) -> int:
    path = _dataset_path(args.dataset, args.processed_root)
    try:
        dataset = schema.read_dataset(path)
    except (schema.ContractError, FileNotFoundError) as exc:
        print(f"INVALID: {exc}", file=sys.stderr)
        return 1
    print(f"dataset {dataset.name} ({path}): valid against the contract")
    for table in schema.TABLES:
        if not dataset.has(table):
            print(f"  {table:<9} absent (no source for it)")
            continue
        df = dataset.tables[table]
        times = [c for c in df.columns
                 if str(df[c].dtype).startswith("datetime64") and df[c].notna().any()]
        span = ""
        if times and len(df):
            span = f", {df[times[0]].min():%Y-%m-%d} to {df[times[0]].max():%Y-%m-%d}"
        learners = (f", {df['learner_id'].nunique():,} learners"
                    if "learner_id" in df.columns else "")
        print(f"  {table:<9} {len(df):>9,} rows{learners}{span}")
    from engagement.clean import rules_summary

    for rule in rules_summary(dataset.quality).query("rows > 0").itertuples():
        print(f"  quality: {rule.source}: {rule.action} {rule.rows:,} rows: {rule.rule}")
    for match in dataset.quality.get("matching", []):
        print(f"  matching: {match['source']}: {match['match_rate']:.0%} of {match['rows']:,} "
              "rows matched to a learner")
    return 0


def _report(args: argparse.Namespace) -> int:
    from engagement import batch

    return batch.main_report(args.config, out_dir=args.out, timeout=args.timeout,
                             raw_scan=not args.no_raw_scan, pdf=not args.no_pdf)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="engagement",
        description="Find out, from your own learning-community data, why engagement is low "
                    "and what lifts it. Typical run: demo (or your exports) -> prepare -> "
                    "validate -> report.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="write the simulated demo community's raw exports",
                          description="Simulate a learning community and write its raw exports "
                                      "(Moodle logs, forum posts, enrolments, attendance, social "
                                      "posts) in real formats. Refuses to overwrite.")
    demo.add_argument("--out", default=str(repository_root() / "data" / "raw" / "demo"),
                      help="folder to create (default: data/raw/demo; must not exist)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default: 2026)")
    demo.add_argument("--learners", type=int, default=800, help="enrolments (default: 800)")
    demo.add_argument("--organisations", type=int, default=12,
                      help="partner organisations (default: 12)")
    demo.add_argument("--courses", type=int, default=3, help="courses (default: 3)")
    demo.add_argument("--weeks", type=int, default=16, help="weeks simulated (default: 16)")
    demo.add_argument("--effects", type=float, default=1.0,
                      help="scale of every planted effect; 0 makes them all null (default: 1)")
    demo.set_defaults(func=_demo)

    prep = sub.add_parser("prepare", help="raw exports -> a processed dataset",
                          description="Read a folder of raw exports (layout: data/raw/README.md), "
                                      "clean, pseudonymise and write data/processed/NAME/ "
                                      "(Parquet + quality.json). Raw files are only read.")
    prep.add_argument("source", choices=SOURCES,
                      help="'moodle' for your own exports, 'demo' for `engagement demo` output, "
                           "'oulad' for the OULAD folder, 'social' for post exports alone, "
                           "'reply_network' for a forum reply edge list (+ participants file)")
    prep.add_argument("raw_dir", help="the folder of raw exports")
    prep.add_argument("--name", required=True, help="name of the processed dataset")
    prep.add_argument("--timezone", help="IANA time zone of the exports' local times, e.g. "
                                         "Europe/London (required for moodle: logs carry none)")
    prep.add_argument("--exclude-ids", nargs="*", default=[], metavar="ID",
                      help="Moodle user ids to remove as staff, besides the built-in rules")
    prep.add_argument("--admin-ids", nargs="*", type=int, default=[2], metavar="ID",
                      help="the site's admin user ids, removed as staff (default: 2)")
    prep.add_argument("--processed-root", help="where datasets go (default: data/processed)")
    prep.set_defaults(func=_prepare)

    val = sub.add_parser("validate", help="check a processed dataset against the contract",
                         description="Check every table of a processed dataset against the data "
                                     "contract and print a summary with the cleaning counts.")
    val.add_argument("dataset", help="dataset name (under data/processed) or folder path")
    val.add_argument("--processed-root", help="where datasets are (default: data/processed)")
    val.set_defaults(func=_validate)

    rep = sub.add_parser("report", help="run a batch of notebooks and write the HTML reports",
                         description="Execute each run of a reports.yaml with papermill, write "
                                     "researcher and partner HTML and an index.html. Exits 1 if "
                                     "any run failed.")
    rep.add_argument("config", nargs="?", default="reports.yaml",
                     help="the batch file (default: reports.yaml)")
    rep.add_argument("--out", help="output root (default: outputs/ beside the batch file)")
    rep.add_argument("--timeout", type=int, default=900,
                     help="seconds allowed per notebook cell (default: 900)")
    rep.add_argument("--no-raw-scan", action="store_true",
                     help="publish partner pages without scanning them for the names, e-mail "
                          "addresses and ids in the dataset's raw exports (when those exports "
                          "are not at hand); the index says so. Without it, a scan that cannot "
                          "run withholds the partner page")
    rep.add_argument("--no-pdf", action="store_true",
                     help="do not print partner pages to PDF (by default each partner page that "
                          "passed its scan is also written as <name>.partner.pdf, A4, by Debian's "
                          "chromium; without chromium the run only notes it)")
    rep.set_defaults(func=_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"engagement {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: a message and the shell's usual status (128 + SIGINT), not a traceback.
        done = ("; the reports already written are complete (each is written under a "
                "temporary name and renamed, partner pages only once scanned), the next run "
                "removes any temporary file left"
                if args.command == "report" else "")
        print(f"engagement {args.command}: interrupted{done}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
