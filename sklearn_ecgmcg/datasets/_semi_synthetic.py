"""Semi-synthetic pairs: the MCG SIMULATED from a real 12-lead ECG."""

import numpy as np
from scipy.signal import savgol_filter
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from ..utils import check_amplitude, check_signals
from ._descr import _NOISE_MODELS, _SEMI_SYNTHETIC_DIPOLE, _SEMI_SYNTHETIC_DOUBLE_LAYER
from ._params import (
    SEMI_SYNTHETIC_CONSTRAINTS,
    _check_dtype,
    _check_heart_position,
    _pick_inverse_dower_leads,
    check_physics,
)
from ._physics import _double_layer, _forward, _noise
from ._simulate import _streams

__all__ = ["mcg_from_ecg"]


@validate_params(SEMI_SYNTHETIC_CONSTRAINTS, prefer_skip_nested_validation=True)
def mcg_from_ecg(
    ecg,
    sfreq,
    ch_names,
    *,
    source="double_layer",
    mcg_layout="6x6",
    noise="shielded",
    n_patches=24,
    silent_fraction=0.07,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    depth=0.09,
    heart_position=None,
    mains_freq=50,
    random_state=None,
    dtype=np.float32,
):
    """SIMULATE the MCG of a real 12-lead ECG (semi-synthetic ECG + MCG pairs).

    The ECG is real; the MCG is simulated from a source fitted to it.

    - ``source="double_layer"`` (default): the equivalent double layer of a
      nominal heart (:func:`make_paired_beats`' mean anatomy at
      ``heart_position``) is fitted to the 8 independent leads (V1-V6, I, II) by
      the minimum-norm (Tikhonov) estimate of its patch voltages, and the MCG is
      the field of that source. What the ECG cannot determine comes from priors:
      the anatomy (size, orientation, wall thickness, torso: the nominal values),
      the part of the patch voltages in the null space of the 12-lead lead field
      (set to zero by the minimum norm), the silent (vortex) currents, drawn with
      random axes and driven by the fitted voltages' rise, at ``silent_fraction``
      of the MCG power, and any DC level (a clinical ECG is AC-coupled, so an
      injury current's TQ shift is not in it).
    - ``source="dipole"``: the inverse Dower transform (Edenbrandt & Pahlm
      1988) turns the ECG into a vectorcardiogram, ``p = kappa * VCG``
      (kappa = 8e-6 A m per mV) is a dipole at ``heart_position`` and the MCG is
      its normal field above a conducting half-space (Cohen & Hosaka 1976).

    Noise and baseline wander in the ECG pass into the MCG: filter the ECG first
    if needed.

    Parameters
    ----------
    ecg : array-like of shape (n_records, n_channels, n_times)
        ECG in mV (a 2-D array is not accepted: leads are needed).
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str
        Name of each ECG channel; must include V1-V6, I and II (case-insensitive,
        e.g. PTB-XL's ``"AVR"`` spelling is fine).
    mcg_layout : {"6x6", "8x8"}, default="6x6"
        Sensor grid (40 mm or 25 mm pitch).
    depth : float, default=0.09
        Heart-to-sensor distance in metres (at least 0.08 for the double layer,
        whose chest wall lies 7 cm in front of the heart).
    noise : {"none", "shielded", "unshielded"}, default="shielded"
        MCG noise preset (see :func:`make_paired_beats`); no noise is added to the ECG.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise and of the silent currents' axes.
    source : {"double_layer", "dipole"}, default="double_layer"
    n_patches, silent_fraction, mcg_model
        As in :func:`make_paired_beats` (double layer only).
    sensor : {"magnetometer", "gradiometer"}, default="magnetometer"
    gradiometer_baseline : float, default=0.05
    heart_position : array-like of shape (3,), default=None
        Heart (dipole or LV centre) position in metres (axes of
        :func:`make_paired_beats`); ``None`` is the nominal ``(0.03, 0.03, -0.04)``.
    mains_freq : {50, 60}, default=50
    dtype : {np.float32, np.float64}, default=np.float32
        Of the returned signals.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        mcg : ndarray of shape (n_records, n_mcg_channels, n_times)
            Simulated MCG in pT (noise included).
        mcg_clean : ndarray of shape (n_records, n_mcg_channels, n_times)
            Simulated MCG without noise.
        vcg : ndarray of shape (n_records, 3, n_times)
            ``source="dipole"``: the Frank VCG in mV of the inverse Dower transform.
        patch_voltages : ndarray of shape (n_records, n_elements, n_times)
            ``source="double_layer"``: the fitted (minimum-norm) patch voltages.
        mcg_silent : ndarray
            ``source="double_layer"``: the silent part of ``mcg_clean``.
        dipole : ndarray of shape (n_records, 3, n_times)
            Current dipole moment in A m (the double layer's total moment).
        dipole_position, sensor_positions, mcg_ch_names, ch_names, times, sfreq, DESCR
            As in :func:`make_paired_beats`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ecgmcg.datasets import mcg_from_ecg
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    >>> ecg = np.random.default_rng(0).normal(size=(2, 12, 1000)) * 0.1
    >>> mcg_from_ecg(ecg, 500, names, random_state=0).mcg.shape
    (2, 36, 1000)
    """
    ecg = check_signals(ecg, name="ecg")
    if ecg.ndim != 3:
        raise ValueError(
            f"ecg must be 3-D (n_records, n_channels, n_times) with named leads; got shape "
            f"{ecg.shape}."
        )
    check_amplitude(ecg, modality="ecg", name="ecg")
    sfreq, _ = check_physics(sfreq, (60.0, 60.0), source, depth, mcg_model)
    baseline = gradiometer_baseline
    picks = _pick_inverse_dower_leads(ch_names, ecg.shape[1])
    dtype = _check_dtype(dtype)
    position = _check_heart_position(heart_position)
    sensors = _forward.mcg_sensor_positions(mcg_layout, depth)
    if position[2] - sensors[0, 2] < 0.02:
        raise ValueError(
            f"heart_position z={position[2]:g} puts the heart within 2 cm of the sensor "
            f"plane (z={sensors[0, 2]:g})."
        )
    rngs = _streams(random_state)
    leads = ecg[:, picks].astype(dtype)
    if source == "dipole":
        out = _dipole_from_ecg(leads, position, sensors, sensor, baseline)
        descr = _SEMI_SYNTHETIC_DIPOLE.format(position=np.round(position, 4).tolist())
    else:
        out = _double_layer_from_ecg(
            rngs["anatomy"], leads, sfreq, position, sensors, sensor, baseline, mcg_model, n_patches,
            silent_fraction, dtype,
        )
        descr = _SEMI_SYNTHETIC_DOUBLE_LAYER
    n_times = ecg.shape[-1]
    times = np.arange(n_times) / sfreq
    if noise == "none":
        mcg = out.mcg_clean.copy()
    else:
        mcg = _noise.mcg_noise(
            rngs["mcg_noise"], noise, sensors, sensor, baseline,
            np.zeros((len(ecg), 1)), times, sfreq, mains_freq, dtype=dtype,
        )
        mcg += out.mcg_clean
    names = _forward.mcg_channel_names(mcg_layout)
    descr = descr.format(layout=mcg_layout, sensor=sensor, depth=depth, noise=noise,
                         noise_model=_NOISE_MODELS[noise])
    return Bunch(
        mcg=mcg, dipole_position=position, sensor_positions=sensors, mcg_ch_names=names,
        ch_names=names, times=times, sfreq=sfreq, DESCR=descr, **out,
    )


def _dipole_from_ecg(leads, position, sensors, sensor, baseline):
    vcg = _forward.matmul_chunked(_forward.INVERSE_DOWER, leads)
    dipole = _forward.KAPPA * vcg
    lead_field = _forward.mcg_lead_field(position, sensors, sensor, baseline)
    return Bunch(mcg_clean=_forward.matmul_chunked(lead_field, dipole), vcg=vcg, dipole=dipole)


def _double_layer_from_ecg(rng, leads, sfreq, position, sensors, sensor, baseline, mcg_model,
                           n_patches, silent_fraction, dtype):
    rows = [_forward.ECG_12_LEAD_NAMES.index(lead) for lead in _forward.INVERSE_DOWER_LEADS]
    inverse = _double_layer.inverse_matrices(
        rng, position, rows, sensors, sensor, baseline, mcg_model, n_patches
    )
    voltages = _forward.matmul_chunked(inverse.to_source.astype(dtype), leads)
    electric = _forward.matmul_chunked(inverse.to_mcg.astype(dtype), leads)
    # the rise of the fitted voltages, smoothed over ~20 ms (a real ECG is noisy)
    window = max(5, int(0.02 * sfreq) | 1)
    rise = np.clip(savgol_filter(voltages, window, 2, deriv=1, axis=-1), 0.0, None)
    silent = _forward.matmul_chunked(inverse.silent.astype(dtype), rise)
    record = np.arange(len(leads))
    scale = _double_layer.silent_scale(
        _double_layer.summed_squares(electric), _double_layer.summed_squares(silent), record,
        len(leads), silent_fraction,
    )
    silent *= scale[:, None, None].astype(dtype)
    return Bunch(
        mcg_clean=electric + silent, mcg_silent=silent, patch_voltages=voltages,
        dipole=_forward.matmul_chunked(inverse.to_dipole.astype(dtype), voltages),
    )
