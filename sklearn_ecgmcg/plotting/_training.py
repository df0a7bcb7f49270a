"""Training curves from a fitted estimator or a skorch history."""

import numpy as np

from ._common import (
    _root_figure,
    _single_axes,
)

__all__ = ["plot_training_curves"]


def _history_of(estimator_or_history):
    """The skorch History of a fitted estimator, a skorch net, or a History."""
    source = estimator_or_history
    if hasattr(type(source), "history_"):
        source = source.history_  # raises NotFittedError before fit
    elif hasattr(source, "history") and not isinstance(source, list):
        source = source.history
    if not isinstance(source, list) or not all(isinstance(epoch, dict) for epoch in source):
        raise TypeError(
            "plot_training_curves needs a fitted sklearn_ecgmcg estimator (history_), a "
            f"skorch net (history) or a skorch History; got {type(estimator_or_history).__name__}."
        )
    if not source:
        raise ValueError("The training history is empty: fit the estimator first.")
    return source


def plot_training_curves(estimator_or_history, *, keys=None, ax=None, log_scale=False,
                         title=None):
    """Plot the per-epoch losses of a fitted network.

    Parameters
    ----------
    estimator_or_history : estimator, skorch NeuralNet or skorch History
        A fitted :class:`~sklearn_ecgmcg.ContrastivePretrainer`,
        :class:`~sklearn_ecgmcg.CrossModalAligner` or
        :class:`~sklearn_ecgmcg.LatentProjector` (its ``history_``), a fitted
        skorch net (its ``history``), or the history itself.
    keys : list of str, default=None
        History columns to plot; by default every per-epoch ``*_loss`` column
        (``train_loss`` and, with a validation split, ``valid_loss``).
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure is made when None.
    log_scale : bool, default=False
        Logarithmic loss axis (only for positive losses).
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib Figure
        The figure holding the curves.
    """
    history = _history_of(estimator_or_history)
    if keys is None:
        keys = [key for key in history[0] if key.endswith("_loss")]
    else:
        keys = [keys] if isinstance(keys, str) else list(keys)
    missing = [key for key in keys if any(key not in epoch for epoch in history)]
    if missing or not keys:
        raise ValueError(
            f"History has no per-epoch column(s) {missing or keys}; "
            f"available: {sorted(history[0])}."
        )
    epochs = [epoch.get("epoch", i + 1) for i, epoch in enumerate(history)]
    ax = _single_axes(ax, (5.5, 3.5))
    for key in keys:
        values = np.array([epoch[key] for epoch in history], dtype=np.float64)
        (line,) = ax.plot(epochs, values, marker="o", markersize=3, label=key)
        best_key = f"{key}_best"
        best = [e for e, epoch in zip(epochs, history) if epoch.get(best_key)]
        if best:
            ax.plot(best[-1], values[epochs.index(best[-1])], "*", markersize=12,
                    color=line.get_color(), label=f"best {key}")
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return _root_figure(ax)
