"""`minsheng classify-train | classify-score | classify-eval` (诉求智能分类)."""

from __future__ import annotations

import argparse
import json
from datetime import date

from jobs.cli import command

TARGET_NAMES = ("category_l1", "category_l2", "main_dept", "handling_path")


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_date, help="train on orders accepted before this date (default: all)")
    p.add_argument("--targets", nargs="+", choices=TARGET_NAMES, help="default: all four")
    p.add_argument("--silver-version", type=int, help="Delta version of dwd_work_order (default: current)")
    p.add_argument("--candidates", nargs="+", help="pipelines to compare (default: lr_char_tfidf nb_char_tfidf)")
    p.add_argument("--max-per-class", type=int,
                   help="stratified cap of training rows per class (default: MAX_PER_CLASS of models.classify.train; "
                        "0 = every row)")
    p.add_argument("--min-delta", type=float, default=0.0, help="macro-F1 margin a challenger must win by")


@command("classify-train", "Retrain the category/department/handling-path classifiers; register and promote",
         args=_train_args)
def classify_train(args: argparse.Namespace) -> int:
    from models.classify.train import MAX_PER_CLASS, run

    cap = MAX_PER_CLASS if args.max_per_class is None else args.max_per_class or None
    out = run(as_of=args.as_of, targets=args.targets, silver_version=args.silver_version,
              candidates=args.candidates, max_per_class=cap, min_delta=args.min_delta)
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return 0


def _score_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=_date, help="one accept date")
    p.add_argument("--from", dest="date_from", type=_date)
    p.add_argument("--to", dest="date_to", type=_date)
    p.add_argument("--targets", nargs="+", choices=TARGET_NAMES, help="default: all four")
    p.add_argument("--silver-version", type=int, help="Delta version of dwd_work_order (default: current)")


@command("classify-score", "Score silver orders with each target's champion → gold predictions + review queue",
         args=_score_args)
def classify_score(args: argparse.Namespace) -> int:
    from models.classify.score import run

    if args.date:
        date_from = date_to = args.date
    elif args.date_from and args.date_to:
        date_from, date_to = args.date_from, args.date_to
    else:
        raise SystemExit("classify-score: give --date D or --from D1 --to D2")
    print(json.dumps(run(date_from, date_to, targets=args.targets, silver_version=args.silver_version),
                     ensure_ascii=False, indent=1, default=str))
    return 0


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--csv", required=True, help="labelled CSV (UTF-8, header row)")
    p.add_argument("--text-col", action="append", required=True, help="text column (repeat for several)")
    p.add_argument("--label-col", required=True)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--candidate", default="lr_char_tfidf")
    p.add_argument("--weight-power", type=float, default=None,
                   help="class-weight strength, 1 = balanced (default: the classify-eval default)")
    p.add_argument("--params", type=json.loads, default=None,
                   help='pipeline parameters as JSON, e.g. \'{"reg_param": 1e-4}\' (default: models.classify.cv.EVAL_PARAMS)')


@command("classify-eval", "Cross-validate the classify pipeline on a labelled CSV (per-fold and mean accuracy, "
         "macro-F1)", args=_eval_args)
def classify_eval(args: argparse.Namespace) -> int:
    from models.classify.cv import DEFAULT_WEIGHT_POWER, cross_validate, read_labelled_csv

    data = read_labelled_csv(args.csv, args.text_col, args.label_col)
    power = DEFAULT_WEIGHT_POWER if args.weight_power is None else args.weight_power
    res = cross_validate(data, args.text_col, args.label_col, folds=args.folds, seed=args.seed,
                         candidate=args.candidate, params=args.params, weight_power=power)
    print(f"rows={res['n_rows']} folds={args.folds} seed={args.seed} candidate={res['candidate']} "
          f"weight_power={power} params={json.dumps(res['params'], sort_keys=True)}")
    for f in res["folds"]:
        print(f"fold={f['fold']} n_test={f['n_test']} accuracy={f['accuracy']:.4f} macro_f1={f['macro_f1']:.4f}")
    print(f"mean_accuracy={res['mean_accuracy']:.4f}")
    print(f"macro_f1={res['mean_macro_f1']:.4f}")
    return 0
