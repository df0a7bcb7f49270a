"""The shared latent: cross-modal similarity matrices and 2-D maps of the latents."""

from numbers import Integral

import numpy as np

from ..metrics import retrieval_accuracy
from ..utils._validation import check_embeddings, check_groups, check_paired_embeddings
from ._common import (
    _pyplot,
    _root_figure,
    _single_axes,
)

__all__ = ["plot_similarity_matrix", "plot_latent"]


def _sorted_by_group(groups, n_samples):
    groups = check_groups(groups, n_samples)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    boundaries = np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1
    return order, boundaries


def plot_similarity_matrix(
    z_query,
    z_gallery,
    groups=None,
    *,
    ax=None,
    query_label="ECG",
    gallery_label="MCG",
    show_top1=True,
    title=None,
):
    """Plot the cosine similarity of every query to every gallery embedding.

    Row ``i`` and column ``i`` are the same heartbeat, so the true pairs lie on
    the diagonal; with ``groups`` the beats are sorted by subject and the
    subject blocks outlined, which shows whether mistakes stay within a
    subject. Each query's best match is marked; the title gives the top-1
    retrieval accuracy (:func:`~sklearn_ecgmcg.metrics.retrieval_accuracy`).

    Parameters
    ----------
    z_query : array-like of shape (n_samples, n_components)
        Query embeddings (rows), e.g. ECG latents.
    z_gallery : array-like of shape (n_samples, n_components)
        Gallery embeddings (columns), paired with ``z_query`` by row.
    groups : array-like of shape (n_samples,), default=None
        Subject id of each pair.
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    query_label, gallery_label : str, default="ECG", "MCG"
        Names of the two modalities for the axis labels.
    show_top1 : bool, default=True
        Mark each query's most similar gallery item.
    title : str, default=None
        Axes title; the top-1 accuracy is always appended.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the matrix.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    query, gallery = check_paired_embeddings(z_query, z_gallery)
    order, boundaries = (np.arange(len(query)), np.array([], dtype=int))
    if groups is not None:
        order, boundaries = _sorted_by_group(groups, len(query))
    similarity = cosine_similarity(query[order], gallery[order])
    ax = _single_axes(ax, (5.6, 4.8))
    image = ax.imshow(similarity, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    _root_figure(ax).colorbar(image, ax=ax, label="cosine similarity")
    for edge in boundaries - 0.5:
        ax.axhline(edge, color="k", linewidth=0.6)
        ax.axvline(edge, color="k", linewidth=0.6)
    if show_top1:
        best = similarity.argmax(axis=1)
        hit = best == np.arange(len(best))
        ax.scatter(best[hit], np.flatnonzero(hit), s=8, marker="o", facecolors="none",
                   edgecolors="lime", linewidths=0.8, label="top-1 correct")
        ax.scatter(best[~hit], np.flatnonzero(~hit), s=10, marker="x", color="k",
                   linewidths=0.8, label="top-1 wrong")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    ax.set_xlabel(f"{gallery_label} embedding (gallery)")
    ax.set_ylabel(f"{query_label} embedding (query)")
    accuracy = retrieval_accuracy(query, gallery, k=1)
    heading = f"{query_label} → {gallery_label} top-1 = {accuracy:.2f}"
    ax.set_title(f"{title}\n{heading}" if title else heading)
    return _root_figure(ax)


def _reduce_2d(z, method, random_state, method_params):
    if z.shape[1] == 2 and method != "tsne":
        return z, ("dim 1", "dim 2")
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state, **method_params).fit(z)
        ratio = pca.explained_variance_ratio_
        return pca.transform(z), (f"PC 1 ({ratio[0]:.0%})", f"PC 2 ({ratio[1]:.0%})")
    if method == "tsne":
        from sklearn.manifold import TSNE

        params = {"init": "pca", "perplexity": min(30.0, (len(z) - 1) / 3.0), **method_params}
        reducer = TSNE(n_components=2, random_state=random_state, **params)
        return reducer.fit_transform(z), ("t-SNE 1", "t-SNE 2")
    raise ValueError(f"method must be 'pca' or 'tsne'; got {method!r}.")


def plot_latent(z, labels, *, label_names=None, method="pca", method_params=None, ax=None,
                legend_title=None, random_state=0, title=None):
    """Scatter the latent embeddings in 2-D, coloured by subject or condition.

    Parameters
    ----------
    z : array-like of shape (n_samples, n_components)
        Embeddings, e.g. the output of
        :meth:`~sklearn_ecgmcg.CrossModalAligner.transform`.
    labels : array-like of shape (n_samples,)
        Category of each sample (subject id, condition code or name).
    label_names : sequence of str, default=None
        Names of integer labels ``0, 1, ...`` (e.g. a bunch's ``target_names``).
    method : {"pca", "tsne"}, default="pca"
        2-D projection: :class:`~sklearn.decomposition.PCA` or
        :class:`~sklearn.manifold.TSNE`. A 2-D ``z`` is shown as is with "pca".
    method_params : dict, default=None
        Extra arguments of the projection, e.g. ``{"max_iter": 250}`` for a faster
        t-SNE (whose perplexity defaults to ``min(30, (n_samples - 1) / 3)``).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    legend_title : str, default=None
        Title of the legend (shown for up to 20 categories).
    random_state : int, default=0
        Seed of the projection.
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the scatter.
    """
    z = check_embeddings(z, "z")
    if len(z) < 3:
        raise ValueError(f"plot_latent needs at least 3 samples; got {len(z)}.")
    labels = np.asarray(labels)
    if labels.shape != (len(z),):
        raise ValueError(
            f"labels must be 1-D with one label per sample ({len(z)}); got shape {labels.shape}."
        )
    points, (xlabel, ylabel) = _reduce_2d(z, method, random_state, method_params or {})
    categories = np.unique(labels)
    cmap = _pyplot().get_cmap("tab10" if len(categories) <= 10 else "tab20")
    ax = _single_axes(ax, (5.5, 4.5))
    for i, category in enumerate(categories):
        inside = labels == category
        name = category
        if label_names is not None and isinstance(category, Integral):
            name = label_names[int(category)]
        ax.scatter(*points[inside].T, s=14, color=cmap(i % cmap.N), alpha=0.8,
                   label=str(name), edgecolors="none")
    if len(categories) <= 20:
        ax.legend(title=legend_title, fontsize=8, title_fontsize=8, markerscale=1.5,
                  loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return _root_figure(ax)
