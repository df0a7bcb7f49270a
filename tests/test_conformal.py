"""Split-conformal intervals of LatentProjector: calibrate / predict_interval."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from sklearn_ecgmcg import LatentProjector, load_weights, save_weights

N_LATENT, N_CHANNELS, N_TIMES = 6, 4, 20


def nonlinear_problem(n, rng, weights, shift=0.0):
    """Latents and signals with a quadratic term a linear decoder cannot fit, plus noise."""
    Z = rng.standard_normal((n, N_LATENT)) + shift
    signal = np.einsum("nd,dct->nct", Z + 0.3 * Z**2, weights)
    return Z, signal + rng.standard_normal(signal.shape)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((N_LATENT, N_CHANNELS, N_TIMES))
    return {name: nonlinear_problem(n, rng, weights, shift)
            for name, n, shift in [("train", 300, 0.0), ("cal", 300, 0.0), ("test", 1000, 0.0),
                                   ("novel", 300, 3.0)]}


@pytest.fixture(scope="module")
def calibrated(problem):
    return LatentProjector().fit(*problem["train"]).calibrate(*problem["cal"])


def coverage(y, lower, upper):
    return float(np.mean((y >= lower) & (y <= upper)))


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_coverage_on_exchangeable_samples_is_nominal(problem, calibrated, alpha):
    Z, y = problem["test"]
    lower, upper = calibrated.predict_interval(Z, alpha=alpha)
    assert lower.shape == upper.shape == y.shape
    assert coverage(y, lower, upper) == pytest.approx(1 - alpha, abs=0.03)
    prediction = calibrated.predict(Z)
    assert np.all(lower <= prediction) and np.all(prediction <= upper)


def test_smaller_alpha_gives_wider_intervals(problem, calibrated):
    Z, _ = problem["test"]
    narrow = np.subtract(*calibrated.predict_interval(Z, alpha=0.3)[::-1])
    wide = np.subtract(*calibrated.predict_interval(Z, alpha=0.05)[::-1])
    assert np.all(wide >= narrow) and wide.mean() > narrow.mean()


def test_latents_unlike_training_get_wider_intervals(problem, calibrated):
    widths = {}
    for name in ("test", "novel"):
        lower, upper = calibrated.predict_interval(problem[name][0], alpha=0.1)
        widths[name] = (upper - lower).mean()
    assert widths["novel"] > 1.5 * widths["test"]
    # The non-adaptive (standard split-conformal) width is the same for every input.
    constant = LatentProjector().fit(*problem["train"]).calibrate(*problem["cal"], adaptive=False)
    lower, upper = constant.predict_interval(problem["novel"][0], alpha=0.1)
    np.testing.assert_allclose(upper - lower, np.broadcast_to((upper - lower)[0], lower.shape))
    # ...so on novel latents it covers less than the adaptive interval does.
    Z, y = problem["novel"]
    assert coverage(y, *calibrated.predict_interval(Z, alpha=0.1)) > coverage(y, lower, upper)


def test_time_resolved_latents_and_one_value_targets():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((120, 3, 15))
    mcg = np.einsum("ndt,dc->nct", Z, rng.standard_normal((3, 5))) + rng.normal(size=(120, 5, 15))
    projector = LatentProjector().fit(Z[:60], mcg[:60]).calibrate(Z[60:90], mcg[60:90])
    lower, upper = projector.predict_interval(Z[90:].astype(np.float32), alpha=0.2)
    assert lower.shape == (30, 5, 15) and lower.dtype == np.float32
    scalar = LatentProjector().fit(Z[:60, :, 0], mcg[:60, 0, 0])
    lower, upper = scalar.calibrate(Z[60:90, :, 0], mcg[60:90, 0, 0]).predict_interval(Z[90:, :, 0])
    assert lower.shape == upper.shape == (30,)


def test_pipeline_route_and_saved_calibration(problem, tmp_path):
    Z, y = problem["train"]
    pipe = make_pipeline(PCA(N_LATENT), LatentProjector()).fit(Z, y)
    Z_cal, y_cal = problem["cal"]
    pipe[-1].calibrate(pipe[:-1].transform(Z_cal), y_cal)
    latents = pipe[:-1].transform(problem["test"][0])
    intervals = pipe[-1].predict_interval(latents, alpha=0.1)
    save_weights(pipe[-1], tmp_path)
    for expected, loaded in zip(intervals, load_weights(tmp_path).predict_interval(latents)):
        np.testing.assert_allclose(loaded, expected)


def test_calibration_inputs_are_not_modified(problem):
    projector = LatentProjector().fit(*problem["train"])
    Z, y = (a.copy() for a in problem["cal"])
    projector.calibrate(Z, y).predict_interval(Z)
    np.testing.assert_array_equal(Z, problem["cal"][0])
    np.testing.assert_array_equal(y, problem["cal"][1])


@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1, "0.1", True, None])
def test_bad_alpha(calibrated, problem, alpha):
    with pytest.raises(ValueError, match="alpha must be a number strictly between 0 and 1"):
        calibrated.predict_interval(problem["test"][0], alpha=alpha)


def test_too_few_calibration_samples_for_alpha_name_the_numbers(problem):
    Z, y = problem["cal"]
    projector = LatentProjector().fit(*problem["train"]).calibrate(Z[:5], y[:5])
    with pytest.raises(ValueError, match=r"alpha=0.1 needs at least 9 calibration samples.*on 5"):
        projector.predict_interval(Z, alpha=0.1)
    assert projector.predict_interval(Z, alpha=0.2)[0].shape == y.shape  # 5 is enough for 80 %


def test_calibration_errors(problem):
    Z, y = problem["cal"]
    with pytest.raises(NotFittedError):
        LatentProjector().calibrate(Z, y)
    projector = LatentProjector().fit(*problem["train"])
    with pytest.raises(NotFittedError, match="call calibrate"):
        projector.predict_interval(Z)
    with pytest.raises(ValueError, match=r"shape \(300, 4, 20\).*got \(300, 4, 19\)"):
        projector.calibrate(Z, y[..., :-1])
    with pytest.raises(ValueError, match=r"got \(200, 4, 20\)"):
        projector.calibrate(Z, y[:200])
    with pytest.raises(ValueError, match="latents of shape"):
        projector.calibrate(Z[:, :, np.newaxis], y)
    with pytest.raises(TypeError, match="adaptive must be True or False"):
        projector.calibrate(Z, y, adaptive="yes")
    with pytest.raises(ValueError, match="NaN"):
        projector.calibrate(Z, np.full_like(y, np.nan))


def test_refit_removes_the_calibration(problem):
    projector = LatentProjector().fit(*problem["train"]).calibrate(*problem["cal"])
    projector.fit(*problem["train"])
    with pytest.raises(NotFittedError, match="call calibrate"):
        projector.predict_interval(problem["test"][0])
