"""The JARs `make setup` resolved from Maven (infra/pom.xml) and what Spark needs of them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from jobs.common.config import PROJECT_ROOT, ConfigError

#: JAR file-name prefixes that must be present for the platform to run at all.
REQUIRED_PREFIXES = ("delta-spark_4.2_2.13-", "delta-storage-", "hadoop-aws-", "bundle-")
SPARK_NLP_PREFIX = "spark-nlp_2.13-"


def jars_dir() -> Path:
    return Path(os.environ.get("MINSHENG_JARS_DIR") or PROJECT_ROOT / "infra" / "jars")


def core_jars(root: Path | None = None) -> list[Path]:
    """All resolved core JARs; raises ConfigError naming what is missing."""
    folder = (root or jars_dir()) / "core"
    found = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    missing = [p for p in REQUIRED_PREFIXES if not any(j.name.startswith(p) for j in found)]
    if missing:
        raise ConfigError(
            f"Spark JARs missing in {folder}: {', '.join(m.rstrip('-') for m in missing)}. "
            "Run `make setup` (it resolves them with Maven from infra/pom.xml)."
        )
    return found


def spark_nlp_jars(root: Path | None = None) -> list[Path]:
    """The Spark NLP JAR(s) if `make setup` could resolve them, else an empty list."""
    folder = (root or jars_dir()) / "sparknlp"
    return sorted(j for j in folder.glob("*.jar") if j.name.startswith(SPARK_NLP_PREFIX)) if folder.is_dir() else []


#: Hadoop's checksummed local file system without a forked ``chmod`` per created file (infra/java).
LOCAL_FS_CLASS = "minsheng.hadoop.NioLocalFileSystem"


def local_fs_jar(root: Path | None = None) -> Path | None:
    """The JAR `make setup` compiles from infra/java, or None when it has not been built."""
    jar = (root or jars_dir()) / "localfs" / "minsheng-localfs.jar"
    return jar if jar.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the JARs resolved by make setup.")
    parser.add_argument("--check", action="store_true")
    parser.parse_args(argv)
    try:
        jars = core_jars()
    except ConfigError as exc:
        print(f"[setup] ERROR: {exc}", file=sys.stderr)
        return 1
    size = sum(j.stat().st_size for j in jars) / 2**20
    nlp = spark_nlp_jars()
    print(f"[setup] {len(jars)} core JARs ({size:.0f} MiB) in {jars_dir() / 'core'}; "
          f"Spark NLP JAR: {'present' if nlp else 'absent'}; local-lake file system: "
          f"{'present' if local_fs_jar() else 'absent'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
