"""``make submission``: runs exported into the MLPerf Inference v4.1 submission tree.

``select`` chooses the runs, ``truncate`` prepares the accuracy log, ``mlperf_conf`` reads the
mlperf.conf the runs used out of the LoadGen wheel, ``systems`` fills the system and implementation
JSON, ``layout`` writes the tree, ``checker`` runs upstream's checker on it and ``export`` ties them
together; ``rules`` holds what the v4.1 checker requires, as data.
"""
