"""`minsheng forecast | warn | cases | policy-eval | weekly-report` (未诉先办 and 类案治理)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from jobs.cli import command


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _range_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--date", type=_date, help="one day (YYYY-MM-DD)")
    g.add_argument("--from", dest="date_from", type=_date, help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day of a range (with --from)")


def _range(args: argparse.Namespace, history_days: int = 0) -> tuple[dt.date, dt.date]:
    """``--date D`` means the day D (preceded by ``history_days`` of history); ``--from/--to`` a range."""
    if args.date:
        if args.date_to:
            raise SystemExit("minsheng: --to goes with --from, not with --date")
        return args.date - dt.timedelta(days=history_days), args.date
    if not args.date_to:
        raise SystemExit("minsheng: --from needs --to")
    if args.date_to < args.date_from:
        raise SystemExit(f"minsheng: --to {args.date_to} is before --from {args.date_from}")
    return args.date_from, args.date_to


def _print(summary: dict) -> int:
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


def _forecast_args(p: argparse.ArgumentParser) -> None:
    _range_args(p)
    p.add_argument("--horizon", type=int, default=28)
    p.add_argument("--windows", type=int, default=4, help="rolling-origin backtest windows")
    p.add_argument("--no-track", action="store_true", help="do not log to MLflow / register the model")


@command("forecast", "Backtest and forecast daily volume (district×L1, city×L2) for 28 days; --date D uses the "
         "year before D as history", args=_forecast_args)
def forecast(args: argparse.Namespace) -> int:
    from models.forecast.job import run

    date_from, date_to = _range(args, history_days=364)
    return _print(run(date_from, date_to, horizon=args.horizon, windows=args.windows, track=not args.no_track))


@command("warn", "未诉先办 early warnings (bursts, new issues, slow trends) for a day or a range", args=_range_args)
def warn(args: argparse.Namespace) -> int:
    from models.warning.job import run

    return _print(run(*_range(args)))


@command("cases", "并单 suggestions and 类案 clusters; --date D covers the 30 days up to D", args=_range_args)
def cases(args: argparse.Namespace) -> int:
    from models.cases.job import run

    return _print(run(*_range(args, history_days=29)))


def _policy_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--category", required=True, help="L1/L2/L3 category code, e.g. 040202")
    p.add_argument("--policy-date", type=_date, required=True)
    p.add_argument("--from", dest="date_from", type=_date, required=True)
    p.add_argument("--to", dest="date_to", type=_date, required=True)


@command("policy-eval", "政策评估: interrupted-time-series effect of a policy date on a category's volume",
         args=_policy_args)
def policy_eval(args: argparse.Namespace) -> int:
    from models.policy.its import run

    return _print(run(args.category, args.policy_date, args.date_from, args.date_to))


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", type=_date, required=True, help="any day of the ISO week to report")
    p.add_argument("--no-publish", action="store_true", help="render only; do not upload to S3")


@command("weekly-report", "每周一议: HTML report with charts, PNG/PDF via headless Chromium, published to S3",
         args=_report_args)
def weekly_report(args: argparse.Namespace) -> int:
    from jobs.report.weekly import run

    return _print(run(args.week, publish=not args.no_publish))
