"""Cross-modal retrieval metrics.

They take paired embeddings ``z_query`` and ``z_gallery`` of shape
``(n_samples, n_components)`` where row ``i`` of both is the same heartbeat. To score
the other direction, swap the arguments; :func:`retrieval_report` computes both
directions at once.
"""

import numpy as np
from sklearn import get_config
from sklearn.utils import gen_batches

from ..utils import check_positive_int
from ..utils._validation import check_groups, check_paired_embeddings

__all__ = [
    "mean_reciprocal_rank",
    "retrieval_accuracy",
    "retrieval_ranks",
    "retrieval_report",
    "subject_retrieval_accuracy",
]

METRICS = ("cosine", "dot", "euclidean")


def _group_codes(groups, n_samples):
    return np.unique(check_groups(groups, n_samples), return_inverse=True)[1].reshape(-1)


def check_metric(metric):
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}; got {metric!r}.")


def _similarity_chunks(z_query, z_gallery, metric):
    """Yield ``(rows, similarity)`` for slices of queries against all the gallery.

    Scores are "larger is closer". Chunks are sized by scikit-learn's
    ``working_memory`` setting so the full ``n x n`` matrix never exists at once.
    """
    dtype = np.result_type(z_query, z_gallery)
    query = z_query.astype(dtype, copy=False)
    gallery = z_gallery.astype(dtype, copy=False)
    offset = None
    if metric == "cosine":
        query = _unit_rows(query)
        gallery = _unit_rows(gallery)
    elif metric == "euclidean":
        # -||q - g||^2 / 2 up to a per-query constant: same ranking, no sqrt.
        offset = 0.5 * np.einsum("ij,ij->i", gallery, gallery)
    row_bytes = 3 * gallery.shape[0] * dtype.itemsize  # scores + boolean temporaries
    n_rows = max(1, int(get_config()["working_memory"] * 2**20 // row_bytes))
    for rows in gen_batches(query.shape[0], n_rows):
        similarity = query[rows] @ gallery.T
        if offset is not None:
            similarity -= offset
        yield rows, similarity
        del similarity  # free this chunk before computing the next


def _unit_rows(z):
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.where(norms > 0, norms, 1)


def retrieval_ranks(z_query, z_gallery, *, groups=None, metric="cosine"):
    """Rank of each query's true match among all gallery items.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (e.g. ECG latents).
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings (e.g. MCG latents); row ``i`` is the true match of
        query ``i``.
    groups : array-like of shape (n_samples,), default=None
        Subject id of each pair. When given, the rank is that of the best-scoring
        gallery item of the query's own subject (subject-level retrieval).
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity: cosine similarity, dot product, or negative Euclidean
        distance. Zero-norm rows have cosine similarity 0 with everything.

    Returns
    -------
    ranks : ndarray of shape (n_samples,), dtype int64
        1 means the true match (or, with ``groups``, an item of the same
        subject) scores highest. Ties are counted pessimistically: every other
        gallery item scoring *at least* as high as the true match is ranked
        before it, so a constant embedding gets rank ``n_samples``.

    Notes
    -----
    Similarities are computed in chunks of queries whose size follows
    ``sklearn.get_config()["working_memory"]``, so 20 000 pairs never hold a
    20 000 x 20 000 matrix in memory. Float32 embeddings are scored in float32.
    """
    z_query, z_gallery = check_paired_embeddings(z_query, z_gallery)
    check_metric(metric)
    codes = None if groups is None else _group_codes(groups, z_query.shape[0])
    ranks = np.empty(z_query.shape[0], dtype=np.int64)
    for rows, similarity in _similarity_chunks(z_query, z_gallery, metric):
        query_index = np.arange(rows.start, rows.stop)
        if codes is None:
            true_score = similarity[np.arange(len(query_index)), query_index]
            ranks[rows] = np.count_nonzero(similarity >= true_score[:, None], axis=1)
        else:
            same = codes[query_index, None] == codes[None, :]
            best_same = np.max(similarity, axis=1, where=same, initial=-np.inf)
            ahead = similarity >= best_same[:, None]
            np.logical_and(ahead, np.logical_not(same, out=same), out=ahead)
            ranks[rows] = 1 + np.count_nonzero(ahead, axis=1)
        del similarity  # the caller's reference too, or two chunks coexist
    return ranks


def retrieval_accuracy(z_query, z_gallery, *, k=1, metric="cosine"):
    """Fraction of queries whose true match is among the ``k`` best gallery items.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (e.g. ECG latents for ECG -> MCG retrieval).
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings; row ``i`` is the true match of query ``i``. Swap the
        two arguments for the other direction.
    k : int, default=1
        Number of best-scoring gallery items that count as a hit. ``k >=
        n_samples`` gives 1.0.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    accuracy : float
        Top-``k`` accuracy in [0, 1]; ties count against the query (see
        :func:`retrieval_ranks`). Chance level is ``k / n_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.metrics import retrieval_accuracy
    >>> z = np.eye(4)
    >>> retrieval_accuracy(z, z)
    1.0
    >>> retrieval_accuracy(z, z[::-1], k=2)
    0.0
    """
    k = check_positive_int(k, name="k")
    ranks = retrieval_ranks(z_query, z_gallery, metric=metric)
    return float(np.mean(ranks <= k))


def subject_retrieval_accuracy(z_query, z_gallery, groups, *, k=1, metric="cosine"):
    """Fraction of queries whose ``k`` best gallery items include one of their subject.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings, paired with ``z_query`` by row.
    groups : array-like of shape (n_samples,)
        Subject id of each pair (shared by the query and its gallery item).
    k : int, default=1
        Number of best-scoring gallery items considered.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    accuracy : float
        In [0, 1], never below :func:`retrieval_accuracy` at the same ``k``
        since the true match belongs to the query's subject. Ties with other
        subjects' items count against the query.
    """
    k = check_positive_int(k, name="k")
    ranks = retrieval_ranks(z_query, z_gallery, groups=groups, metric=metric)
    return float(np.mean(ranks <= k))


def mean_reciprocal_rank(z_query, z_gallery, *, metric="cosine"):
    """Mean of ``1 / rank`` of each query's true match.

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings, paired with ``z_query`` by row.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    mrr : float
        In ``(0, 1]``; 1 when every true match ranks first. Ranks follow
        :func:`retrieval_ranks` (pessimistic ties).
    """
    ranks = retrieval_ranks(z_query, z_gallery, metric=metric)
    return float(np.mean(1.0 / ranks))


def retrieval_report(z_ecg, z_mcg, groups=None, *, ks=(1, 5), metric="cosine"):
    """Retrieval metrics in both directions, beat- and subject-level.

    Parameters
    ----------
    z_ecg : array-like of shape (n_samples, n_components)
        ECG embeddings.
    z_mcg : array-like of shape (n_samples, n_components)
        MCG embeddings, paired with ``z_ecg`` by row.
    groups : array-like of shape (n_samples,), default=None
        Subject ids; when given, subject-level accuracies are added.
    ks : sequence of int, default=(1, 5)
        Values of ``k`` for top-``k`` accuracy.
    metric : {"cosine", "dot", "euclidean"}, default="cosine"
        Similarity used to rank the gallery.

    Returns
    -------
    report : dict of str to float
        Keys ``"{direction}_top{k}"``, ``"{direction}_mrr"`` and, with
        ``groups``, ``"{direction}_subject_top{k}"``, for direction in
        ``("ecg_to_mcg", "mcg_to_ecg")``.
    """
    ks = [check_positive_int(k, name="ks") for k in np.atleast_1d(ks).tolist()]
    report = {}
    for direction, query, gallery in (
        ("ecg_to_mcg", z_ecg, z_mcg),
        ("mcg_to_ecg", z_mcg, z_ecg),
    ):
        ranks = retrieval_ranks(query, gallery, metric=metric)
        for k in ks:
            report[f"{direction}_top{k}"] = float(np.mean(ranks <= k))
        report[f"{direction}_mrr"] = float(np.mean(1.0 / ranks))
        if groups is not None:
            subject_ranks = retrieval_ranks(query, gallery, groups=groups, metric=metric)
            for k in ks:
                report[f"{direction}_subject_top{k}"] = float(np.mean(subject_ranks <= k))
    return report
