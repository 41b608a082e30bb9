"""``python -m training seeds``: the report over several seeds, and whether worldNET's lead is more than noise.

On a small image set (the shared sample's 71 photos, or a user's few hundred) one report's tables rest
on a few dozen test photos: a lead of a hundred points can be the luck of the split. This runs
``report`` once per seed (each seed draws its own held-out places, test photos and training order),
then gives, per table and model, the mean over the seeds with its standard error, and worldNET's
**paired margin** over every other model: the seed-by-seed difference in points and in mean km,
its mean, its standard error, and in how many seeds worldNET was ahead. ``--against DIR`` adds
the worldNET of an earlier ``seeds`` run (another backbone, the same seeds: the same splits) as a
row of its own, so two backbones are compared on the very same photos.

A margin is called *clear* when its 95% Student-t interval over the seeds excludes zero (the mean more
than t(0.975, n − 1) standard errors from it: 2.78 for 5 seeds, 2.09 for 20; the seeds treated as
independent draws); else *within noise*. Each seed's whole report stays in ``OUT/seed-N/``; a seed
already there is read, not run again, so an interrupted run resumes; ``OUT/flags.json`` keeps the
flags, and a run with other flags into the same folder is refused rather than mixed in.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from training import report as report_program

SPLITS = ("seen", "unseen")
#: The two-sided confidence at which a margin is called clear.
CONFIDENCE = 0.95
#: Flags that say where and which seeds, not what a report is: a run may add seeds or change them.
NOT_THE_REPORT = {"seeds", "out", "against", "no_progress", "config"}


def clear_at(seeds: int) -> float:
    """How many standard errors from zero a mean over ``seeds`` must be to be called clear (Student's t)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + CONFIDENCE / 2, seeds - 1))


def report_flags(args: argparse.Namespace) -> dict[str, object]:
    """What makes each seed's report what it is: every flag but the seeds and where they go, as JSON values."""
    flags: dict[str, object] = {}
    for key, value in sorted(vars(args).items()):
        if key in NOT_THE_REPORT:
            continue
        flags[key] = json.loads(json.dumps(value, default=str))  # paths as text, tuples as lists
    return flags


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Run the report once per seed; say, with standard errors, whether worldNET's lead over each model is more than noise.",
        parents=[report_program.get_args_parser(add_help=False)],
        add_help=add_help,
        conflict_handler="resolve",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="the seeds to run (default 0 1 2 3 4)")
    parser.add_argument("--out", type=Path, required=True, help="folder for seeds.md, seeds.json and each seed's report (seed-N/)")
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="an earlier `seeds` run's folder: its worldNET joins the tables as a row of its own, compared seed by seed",
    )
    return parser


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return mean, se


def run_seed(args: argparse.Namespace, seed: int, log: Callable[[str], None]) -> dict:
    """One seed's report.json: read when this folder holds it already, else run."""
    out = Path(args.out) / f"seed-{seed}"
    done = out / "report.json"
    if done.is_file():
        log(f"seed {seed}: read from {done}")
        return json.loads(done.read_text())
    one = copy.copy(args)
    one.seed, one.out = seed, out
    report_program.main(one, log=lambda message: None)
    return json.loads(done.read_text())


def margins(reports: dict[int, dict], against: dict[int, dict] | None) -> dict:
    """Per split: each model's mean points and km over the seeds, and worldNET's paired margin over it."""
    summary: dict = {}
    for split in SPLITS:
        rows: dict[str, dict] = {}
        models = {m: [reports[s][split][m] for s in reports] for m in reports[next(iter(reports))][split]}
        if against:
            models["worldnet (against)"] = [against[s][split]["worldnet"] for s in reports]
        ours = models.get("worldnet")
        for name, per_seed in models.items():
            points = [m["points"] for m in per_seed]
            km = [m["mean_km"] for m in per_seed]
            row: dict[str, object] = {"points": _mean_se(points), "mean_km": _mean_se(km)}
            if ours is not None and name != "worldnet":
                lead_points = [o["points"] - m["points"] for o, m in zip(ours, per_seed, strict=True)]
                lead_km = [m["mean_km"] - o["mean_km"] for o, m in zip(ours, per_seed, strict=True)]
                row["lead_points"] = _mean_se(lead_points)
                row["lead_km"] = _mean_se(lead_km)
                row["ahead_in"] = sum(1 for lead in lead_points if lead > 0)
            rows[name] = row
        summary[split] = rows
    return summary


def _verdict(mean: float, se: float, seeds: int) -> str:
    if math.isnan(se):
        return "one seed"
    if mean > clear_at(seeds) * se:
        return "clear lead"
    if mean < -clear_at(seeds) * se:
        return "clearly behind"
    return "within noise"


def markdown(summary: dict, *, seeds: Sequence[int], described: str, against: str | None) -> list[str]:
    lines = [
        f"{described}; seeds {', '.join(map(str, seeds))} ({len(seeds)} reports). Means over the seeds ± their standard error; "
        "worldNET's lead is paired seed by seed (its points minus the model's; the model's mean km minus worldNET's), "
        f"clear when its {CONFIDENCE:.0%} interval excludes zero"
        + (f" (more than {clear_at(len(seeds)):.2f} standard errors)." if len(seeds) > 1 else "."),
        "",
    ]
    if against:
        lines += [f"*worldnet (against)*: the worldNET of `{against}`, on the same seeds and so the same splits.", ""]
    for split, title in (("seen", "Unseen images of seen places"), ("unseen", "Images of unseen places")):
        lines += [
            f"#### {title}",
            "",
            "| model | points | mean km | worldNET's lead, points | worldNET's lead, km | ahead in | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in summary[split].items():
            points, km = row["points"], row["mean_km"]
            cells = [f"{points[0]:,.0f} ± {points[1]:,.0f}", f"{km[0]:,.0f} ± {km[1]:,.0f}"]
            if "lead_points" in row:
                lead, lead_km = row["lead_points"], row["lead_km"]
                cells += [
                    f"{lead[0]:+,.0f} ± {lead[1]:,.0f}",
                    f"{lead_km[0]:+,.0f} ± {lead_km[1]:,.0f}",
                    f"{row['ahead_in']} of {len(seeds)}",
                    _verdict(lead[0], lead[1], len(seeds)),
                ]
            else:
                cells += ["–", "–", "–", "–"]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def main(args: argparse.Namespace, log: Callable[[str], None] = lambda m: print(m, flush=True)) -> int:
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    flags, kept = report_flags(args), out / "flags.json"
    if kept.is_file() and json.loads(kept.read_text()) != flags:
        earlier = json.loads(kept.read_text())
        changed = sorted(key for key in flags.keys() | earlier.keys() if flags.get(key) != earlier.get(key))
        raise SystemExit(f"seeds: {out} holds reports made with other flags ({', '.join(changed)}): choose another --out")
    kept.write_text(json.dumps(flags, indent=2))
    reports: dict[int, dict] = {}
    for seed in args.seeds:
        began = time.perf_counter()
        reports[seed] = run_seed(args, seed, log)
        worldnet = {split: reports[seed][split]["worldnet"]["points"] for split in SPLITS}
        log(
            f"seed {seed}: worldNET {worldnet['seen']:,.0f} points seen, {worldnet['unseen']:,.0f} unseen "
            f"({time.perf_counter() - began:.0f} s)"
        )
    against = None
    if args.against is not None:
        missing = [s for s in args.seeds if not (Path(args.against) / f"seed-{s}" / "report.json").is_file()]
        if missing:
            raise SystemExit(f"seeds: {args.against} has no report for seed(s) {', '.join(map(str, missing))}")
        against = {s: json.loads((Path(args.against) / f"seed-{s}" / "report.json").read_text()) for s in args.seeds}
    summary = margins(reports, against)
    config = reports[args.seeds[0]]["config"]
    described = (
        f"Image set `{args.data}`, backbone `{config['backbone']}`"
        + (f" ({config.get('backbone_training', 'full')})" if config.get("backbone_pretrained") else " (from scratch)")
        + f", {len(config['holdout'])} held-out places a seed"
    )
    lines = markdown(summary, seeds=args.seeds, described=described, against=str(args.against) if args.against else None)
    (out / "seeds.md").write_text("\n".join(lines))
    (out / "seeds.json").write_text(json.dumps({"seeds": args.seeds, "config": config, "summary": summary}, indent=2))
    log("\n".join(lines))
    log(f"seeds: {len(args.seeds)} reports in {(time.perf_counter() - started) / 60:.1f} min; {out / 'seeds.md'}")
    return 0
