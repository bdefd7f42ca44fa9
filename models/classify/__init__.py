"""诉求智能分类: Spark ML classifiers for L1/L2 category, lead department and 66号文 handling path.

Entry points: :func:`models.classify.train.run` (retrain, evaluate, register, promote) and
:func:`models.classify.score.run` (batch scoring with each target's champion); ``models.classify.cv``
cross-validates the same pipeline on any labelled CSV (``minsheng classify-eval``).
"""
