"""Application file for ``spark-submit``: runs one ``minsheng`` subcommand inside the submitted driver.

``spark-submit infra/spark_main.py [--profile cluster] STEP ARGS...`` is the same as ``minsheng STEP ARGS...``
run locally; the session factory sees the gateway spark-submit opened and keeps what spark-submit set.
(``jobs/cli.py`` itself is not submitted: run as ``__main__`` it would not see the subcommands that
register with the ``jobs.cli`` module.)
"""

import sys

from jobs.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
