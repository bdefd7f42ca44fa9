# minsheng — the two commands are `make demo` and `make test`; both run `make setup` first.
SHELL := /bin/bash
PY := .venv/bin/python
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYTHONHASHSEED := 0

.PHONY: setup demo test test-all bench lint airflow-ui mlflow-ui check-ui clean

setup:
	@bash infra/setup.sh

demo: setup
	@bash infra/demo.sh

test: setup
	@bash infra/test.sh

test-all: setup
	@MINSHENG_TEST_ALL=1 bash infra/test.sh

bench: setup
	@bash bench/run.sh

lint: setup
	.venv/bin/ruff check jobs models dags tests bench infra

airflow-ui: setup
	@bash infra/airflow.sh standalone

mlflow-ui: setup
	@bash infra/mlflow.sh start

check-ui: setup
	@bash infra/check-ui.sh

clean:
	rm -rf var/lake var/landing var/ground_truth var/tmp
