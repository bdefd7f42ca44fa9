"""Feature and classifier pipelines: character n-gram TF-IDF (+ optional char Word2Vec) → linear model.

Chinese has no spaces, so the text is cut into characters and character bigrams/trigrams; every stage is
a native Spark ML stage (no Python UDFs), so a fitted pipeline scores at JVM speed and saves/loads as a
plain ``PipelineModel`` (logged with the ``mlflow.spark`` flavour).

Spark NLP (DocumentAssembler → ClassifierDLApproach) is not a candidate here: its JVM JAR
(``spark-nlp_2.13:7.0.0``) cannot be resolved in this environment, so no code path uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.sql import DataFrame

TEXT_COL = "clf_text"
LABEL_IDX = "label_idx"
WEIGHT_COL = "class_weight"
PREDICTED_LABEL = "predicted_label"
FEATURES_COL = "clf_tfidf"

#: candidate name → what it is (logged with the comparison)
CANDIDATES: dict[str, str] = {
    "lr_char_tfidf": "char 1-3-gram TF-IDF → multinomial LogisticRegression (class-weighted)",
    "nb_char_tfidf": "char 1-3-gram TF-IDF → multinomial NaiveBayes (class-weighted)",
    "lr_char_tfidf_w2v": "char 1-3-gram TF-IDF ⊕ mean char Word2Vec → multinomial LogisticRegression",
}

DEFAULT_PARAMS: dict[str, Any] = {
    "vocab_size": 60000,
    "min_df": 2,
    "binary_tf": False,
    "normalize": False,
    "ngram_max": 3,
    "reg_param": 0.001,
    "elastic_net": 0.0,
    "max_iter": 40,
    "nb_smoothing": 0.3,
    "w2v_size": 48,
    "seed": 7,
}


def text_sql(text_cols: Sequence[str]) -> str:
    """The SQL that joins the text columns into one string and drops whitespace (for SQLTransformer)."""
    if not text_cols:
        raise ValueError("at least one text column is needed")
    parts = ", ".join(f"coalesce(CAST(`{c}` AS STRING), '')" for c in text_cols)
    return (f"SELECT *, lower(regexp_replace(concat_ws('。', {parts}), '\\\\s+', '')) AS {TEXT_COL} "
            "FROM __THIS__")


def featuriser(text_cols: Sequence[str], params: Mapping[str, Any] | None = None) -> Pipeline:
    """The unfitted text → TF-IDF pipeline (output column :data:`FEATURES_COL`, plus ``clf_chars``).

    Fit it once per training run and hand the fitted model to :func:`build_pipeline` for every target
    and candidate: the four champions then carry the same fitted stages, and scoring computes the
    n-grams and TF-IDF of an order once for all four targets (``models.classify.score.predict_all``).
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import IDF, CountVectorizer, NGram, Normalizer, RegexTokenizer, SQLTransformer

    p = {**DEFAULT_PARAMS, **(params or {})}
    stages: list[Any] = [
        SQLTransformer(statement=text_sql(text_cols)),
        RegexTokenizer(inputCol=TEXT_COL, outputCol="clf_chars", pattern="", gaps=True, minTokenLength=1,
                       toLowercase=False),
    ]
    gram_cols = ["clf_chars"]
    for n in range(2, int(p["ngram_max"]) + 1):
        stages.append(NGram(n=n, inputCol="clf_chars", outputCol=f"clf_g{n}"))
        gram_cols.append(f"clf_g{n}")
    stages += [
        SQLTransformer(statement=f"SELECT *, concat({', '.join(gram_cols)}) AS clf_grams FROM __THIS__"),
        CountVectorizer(inputCol="clf_grams", outputCol="clf_tf", vocabSize=int(p["vocab_size"]),
                        minDF=float(p["min_df"]), binary=bool(p["binary_tf"])),
    ]
    if p["normalize"]:  # unit-length rows, as scikit-learn's TfidfVectorizer does
        stages += [IDF(inputCol="clf_tf", outputCol="clf_idf"),
                   Normalizer(inputCol="clf_idf", outputCol=FEATURES_COL, p=2.0)]
    else:
        stages.append(IDF(inputCol="clf_tf", outputCol=FEATURES_COL))
    return Pipeline(stages=stages)


def build_pipeline(candidate: str, labels: Sequence[str], text_cols: Sequence[str],
                   params: Mapping[str, Any] | None = None, features: PipelineModel | None = None) -> Pipeline:
    """An unfitted pipeline for ``candidate`` that reads ``text_cols`` and ``label_idx``/``class_weight``.

    ``features`` is a fitted :func:`featuriser` to reuse as is (its stages are not refitted); without
    it the pipeline fits its own. The fitted model needs only the text columns: it adds
    ``prediction``, ``probability`` and ``predicted_label`` (the label string, from ``labels`` in index
    order).
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression, NaiveBayes
    from pyspark.ml.feature import IndexToString, VectorAssembler, Word2Vec

    if candidate not in CANDIDATES:
        raise ValueError(f"unknown candidate {candidate!r}; choose from {', '.join(CANDIDATES)}")
    p = {**DEFAULT_PARAMS, **(params or {})}
    stages: list[Any] = list(features.stages) if features is not None else featuriser(text_cols, p).getStages()
    feature_col = FEATURES_COL
    if candidate == "lr_char_tfidf_w2v":
        stages += [
            Word2Vec(inputCol="clf_chars", outputCol="clf_w2v", vectorSize=int(p["w2v_size"]), minCount=2,
                     maxIter=1, seed=int(p["seed"]), numPartitions=1),
            VectorAssembler(inputCols=[feature_col, "clf_w2v"], outputCol="clf_features"),
        ]
        feature_col = "clf_features"
    if candidate.startswith("nb_"):
        clf = NaiveBayes(featuresCol=feature_col, labelCol=LABEL_IDX, weightCol=WEIGHT_COL, modelType="multinomial",
                         smoothing=float(p["nb_smoothing"]))
    else:
        clf = LogisticRegression(featuresCol=feature_col, labelCol=LABEL_IDX, weightCol=WEIGHT_COL,
                                 family="multinomial", regParam=float(p["reg_param"]),
                                 elasticNetParam=float(p["elastic_net"]), maxIter=int(p["max_iter"]),
                                 standardization=False)
    stages += [clf, IndexToString(inputCol="prediction", outputCol=PREDICTED_LABEL, labels=list(labels))]
    return Pipeline(stages=stages)


def label_index(df: DataFrame, label_col: str, labels: Sequence[str]) -> DataFrame:
    """Add ``label_idx``: the position of the label in ``labels``; unseen labels get ``len(labels)``."""
    from pyspark.sql import functions as F

    mapping = F.create_map(*[x for i, lab in enumerate(labels) for x in (F.lit(lab), F.lit(float(i)))])
    return df.withColumn(LABEL_IDX, F.coalesce(mapping[F.col(label_col)], F.lit(float(len(labels)))))


def class_weights(counts: Mapping[str, int], power: float = 0.5) -> dict[str, float]:
    """Per-class weights ``(n / (k · n_c)) ** power``: 1 = fully balanced, 0 = unweighted.

    Balanced weights lift the recall of rare classes (the 紧急 / 恶意扰乱 handling paths) at some cost in
    precision; a power below 1 dampens that trade.
    """
    total = sum(counts.values())
    k = len(counts)
    return {lab: (total / (k * c)) ** power for lab, c in counts.items() if c > 0}


def with_weights(df: DataFrame, label_col: str, weights: Mapping[str, float]) -> DataFrame:
    from pyspark.sql import functions as F

    mapping = F.create_map(*[x for lab, w in weights.items() for x in (F.lit(lab), F.lit(float(w)))])
    return df.withColumn(WEIGHT_COL, F.coalesce(mapping[F.col(label_col)], F.lit(1.0)))
