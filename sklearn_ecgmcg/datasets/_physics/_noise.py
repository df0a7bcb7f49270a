"""Noise models for simulated ECG (mV) and MCG (pT), physics.md section 5.

Two kinds of components:

- slow drift and mains are sums of sinusoids evaluated at absolute time, so they
  continue smoothly across the beats of one subject and along a record;
- broadband noise (SQUID white + 1/f, ECG white, EMG, 1/f^beta) is synthesised in
  the frequency domain with the requested spectrum (Gaussian in time by the
  central limit theorem, see :func:`shaped_noise`), independent per channel and
  per segment (beat window or record).

The MCG environmental field (drift + mains) is low rank: a uniform field plus a
linear gradient shared by all channels; SQUID noise is independent per channel.
Levels are drawn per subject (beats) or per record (recordings) from the ranges
below, all rms: the ranges of physics.md section 5 (its presets are engineering
estimates); the 1/f^beta ECG level, which physics.md does not give, is set equal
to the white level (engineering estimate).
"""

import numpy as np

from ._forward import SENSOR_NORMAL, electrode_to_lead_matrix, matmul_chunked

NOISE_PRESETS = ("none", "shielded", "unshielded")

# rms levels (pT) of the MCG noise components per preset
MCG_NOISE_LEVELS = {
    "shielded": {"broadband": (0.2, 0.5), "mains": (0.1, 1.0), "drift": (1.0, 5.0)},
    "unshielded": {"broadband": (1.0, 5.0), "mains": (5.0, 20.0), "drift": (10.0, 50.0)},
}
# rms levels (mV) of the ECG noise components (the same for both presets)
ECG_NOISE_LEVELS = {
    "wander": (0.05, 0.3),
    "emg": (0.005, 0.03),
    "mains": (0.005, 0.05),
    "white": (0.002, 0.01),
    "colored": (0.002, 0.01),
}
SQUID_CORNER_HZ = 1.0
EMG_BAND_HZ = (20.0, 150.0)
DRIFT_BAND_HZ = (0.05, 0.5)
MAINS_HARMONIC_WEIGHTS = np.array([1.0, 0.4, 0.2])
N_DRIFT_SINUSOIDS = 4
# Environmental gradient rms = 3 / R times the uniform-field rms (the far field of a
# source at distance R falls as 1/R^3); R in metres, engineering estimate.
ENV_SOURCE_DISTANCE_M = (2.0, 10.0)


def sinusoid_series(freqs, amplitudes, phases, t_ref, tau):
    """Sums of sinusoids at absolute times ``t_ref + tau``.

    Parameters
    ----------
    freqs, amplitudes, phases : ndarray of shape (n_groups, n_series, n_sin)
    t_ref : ndarray of shape (n_groups, n_segments)
        Start (reference) time of each segment in seconds.
    tau : ndarray of shape (n_times,)
        Time within the segment.

    Returns
    -------
    series : ndarray of shape (n_groups, n_series, n_segments, n_times)
    """
    omega = 2.0 * np.pi * freqs
    # cos(w (t0 + tau) + phi) = cos(w t0 + phi) cos(w tau) - sin(w t0 + phi) sin(w tau)
    start = omega[:, :, np.newaxis] * t_ref[:, np.newaxis, :, np.newaxis] + phases[:, :, None]
    weights = amplitudes[:, :, np.newaxis]
    coefs = np.concatenate([weights * np.cos(start), -weights * np.sin(start)], axis=-1)
    wt = omega[..., np.newaxis] * tau
    return np.matmul(coefs, np.concatenate([np.cos(wt), np.sin(wt)], axis=-2))


def concat_sinusoids(*sets):
    """Join several ``(freqs, amplitudes, phases)`` sets along the sinusoid axis."""
    return tuple(np.concatenate(parts, axis=-1) for parts in zip(*sets))


def random_drift(rng, n_groups, n_series, rms):
    """Slow drift with the given rms: freqs, amplitudes, phases, each (n_groups, n_series, K)."""
    shape = (n_groups, n_series, N_DRIFT_SINUSOIDS)
    freqs = np.exp(rng.uniform(*np.log(DRIFT_BAND_HZ), shape))
    weights = rng.uniform(0.5, 1.0, shape)
    weights /= np.sqrt(0.5 * np.sum(weights**2, axis=-1, keepdims=True))
    phases = rng.uniform(0.0, 2.0 * np.pi, shape)
    return freqs, weights * rms[..., np.newaxis], phases


def random_mains(rng, n_groups, n_series, rms, mains_freq, sfreq):
    """Mains and harmonics below Nyquist with the given rms, each (n_groups, n_series, 3)."""
    shape = (n_groups, n_series, len(MAINS_HARMONIC_WEIGHTS))
    harmonics = mains_freq * np.arange(1, len(MAINS_HARMONIC_WEIGHTS) + 1)
    weights = np.where(harmonics < sfreq / 2.0, MAINS_HARMONIC_WEIGHTS, 0.0)
    total = np.sqrt(0.5 * np.sum(weights**2))
    weights = weights / total if total > 0 else weights
    phases = rng.uniform(0.0, 2.0 * np.pi, shape)
    freqs = np.broadcast_to(harmonics, shape)
    return freqs, np.broadcast_to(weights, shape) * rms[..., np.newaxis], phases


def spectral_shapes(n_times, sfreq, names):
    """Power spectral shapes on the rfft grid, each with unit time-domain variance.

    Parameters
    ----------
    n_times : int
    sfreq : float
    names : sequence of {"white", "squid", "emg", "colored1", "colored2"}

    Returns
    -------
    shapes : ndarray of shape (len(names), n_times // 2 + 1)
    """
    freqs = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    f = np.where(freqs > 0, freqs, freqs[1] if len(freqs) > 1 else 1.0)
    table = {
        "white": np.ones_like(freqs),
        "squid": 1.0 + SQUID_CORNER_HZ / f,
        "emg": ((freqs >= EMG_BAND_HZ[0]) & (freqs <= EMG_BAND_HZ[1])).astype(float),
        "colored1": np.where(freqs > 0, 1.0 / f, 0.0),
        "colored2": np.where(freqs > 0, 1.0 / f**2, 0.0),
    }
    shapes = np.array([table[name] for name in names])
    # time-domain variance of white noise filtered by sqrt(shape) is the mean of the
    # shape over the full two-sided spectrum
    weights = np.full(len(freqs), 2.0)
    weights[0] = 1.0
    if n_times % 2 == 0:
        weights[-1] = 1.0
    variance = (shapes * weights).sum(axis=1) / n_times
    return shapes / np.where(variance > 0, variance, 1.0)[:, np.newaxis]


def shaped_noise(rng, power, n_channels, n_times, repeats=1, chunk_size=2_000_000,
                 dtype=np.float64):
    """Noise with a given power spectral density, synthesised in frequency.

    The real and imaginary parts of every rfft coefficient are independent,
    zero-mean, uniform random numbers with the variance of an rfft of unit white
    Gaussian noise (uniform draws are several times cheaper than Gaussian ones).
    Each time sample is a weighted sum of all ``n_times`` of them, hence Gaussian by
    the central limit theorem, with the requested spectrum in expectation.

    Parameters
    ----------
    rng : numpy.random.Generator
    power : ndarray of shape (n_groups, n_times // 2 + 1)
        Two-sided PSD per group in units^2 per unit-variance shape (see
        :func:`spectral_shapes`): the output variance is the full-spectrum mean.
    n_channels, n_times : int
    repeats : int, default=1
        Independent segments per group.
    chunk_size : int, default=2_000_000
        Spectral coefficients drawn at once.
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    noise : ndarray of shape (n_groups * repeats, n_channels, n_times)
    """
    n_groups, n_freqs = power.shape
    # uniform on [-1/2, 1/2) has variance 1/12; E|X_k|^2 must be n_times, i.e.
    # n_times / 2 per real and imaginary part, and n_times for the real DC/Nyquist
    gain = np.repeat(np.sqrt(12.0 * n_times / 2.0 * power), 2, axis=1)
    gain[:, 0] *= np.sqrt(2.0)
    gain[:, 1] = 0.0
    if n_times % 2 == 0:
        gain[:, -2] *= np.sqrt(2.0)
        gain[:, -1] = 0.0
    gain = gain.astype(np.float32)[:, np.newaxis, np.newaxis, :]
    out = np.empty((n_groups * repeats, n_channels, n_times), dtype=dtype)
    step = max(1, chunk_size // (repeats * n_channels * 2 * n_freqs))
    # one coefficient buffer for every chunk: no fresh pages to fault in each time
    buffer = np.empty((step, repeats, n_channels, 2 * n_freqs), dtype=np.float32)
    for start in range(0, n_groups, step):
        stop = min(start + step, n_groups)
        coef = rng.random(out=buffer[: stop - start], dtype=np.float32)
        coef -= np.float32(0.5)
        coef *= gain[start:stop]
        target = out[start * repeats : stop * repeats].reshape(coef.shape[:-1] + (n_times,))
        _irfft_into(coef.view(np.complex64), n_times, target)
    return out


def _irfft_into(spectrum, n_times, target):
    """``target[...] = irfft(spectrum)`` along the last axis, without a temporary when possible."""
    if target.dtype == np.float32:
        try:  # numpy >= 2.0 writes the inverse transform in place
            np.fft.irfft(spectrum, n=n_times, axis=-1, out=target)
            return
        except TypeError:
            pass
    target[...] = np.fft.irfft(spectrum, n=n_times, axis=-1)


def draw_levels(rng, levels, n_groups):
    """One rms level per group and component, uniform in each range: dict name -> (n_groups,)."""
    return {name: rng.uniform(low, high, n_groups) for name, (low, high) in levels.items()}


def environment_patterns(sensor_positions, sensor, baseline, centre):
    """Spatial patterns of a uniform field and its three gradients on the sensors.

    Returns
    -------
    patterns : ndarray of shape (n_sensors, 4)
        Columns: uniform field (1), then ``x``, ``y``, ``z`` offsets in metres from
        ``centre``. A gradiometer sees the difference between its two coils, which
        cancels the uniform field and the in-plane gradients.
    """
    def at(positions):
        offsets = positions - centre
        return np.column_stack([np.ones(len(positions)), offsets])

    patterns = at(sensor_positions)
    if sensor == "gradiometer":
        patterns = patterns - at(sensor_positions + baseline * SENSOR_NORMAL)
    return patterns


def mcg_noise(rng, preset, sensor_positions, sensor, baseline, t_ref, tau, sfreq, mains_freq,
              dtype=np.float64):
    """MCG noise in pT: low-rank environment plus independent SQUID noise.

    Parameters
    ----------
    rng : numpy.random.Generator
    preset : {"shielded", "unshielded"}
    sensor_positions : ndarray of shape (n_sensors, 3)
    sensor : {"magnetometer", "gradiometer"}
    baseline : float
    t_ref : ndarray of shape (n_groups, n_segments)
        Absolute start time of every segment; groups are subjects or records.
    tau : ndarray of shape (n_times,)
    sfreq, mains_freq : float
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    noise : ndarray of shape (n_groups * n_segments, n_sensors, n_times)
    """
    n_groups, n_segments = t_ref.shape
    levels = draw_levels(rng, MCG_NOISE_LEVELS[preset], n_groups)
    distance = rng.uniform(*ENV_SOURCE_DISTANCE_M, n_groups)
    # rms of [uniform, dBx, dBy, dBz] per group: pT and pT/m
    component_scale = np.column_stack([np.ones(n_groups)] + [3.0 / distance] * 3)
    drift = random_drift(rng, n_groups, 4, levels["drift"][:, None] * component_scale)
    mains = random_mains(
        rng, n_groups, 4, levels["mains"][:, None] * component_scale, mains_freq, sfreq
    )
    env = sinusoid_series(*concat_sinusoids(drift, mains), t_ref, tau)
    patterns = environment_patterns(
        sensor_positions, sensor, baseline, sensor_positions.mean(axis=0)
    )
    power = levels["broadband"][:, None] ** 2 * spectral_shapes(len(tau), sfreq, ["squid"])
    noise = shaped_noise(rng, power, len(sensor_positions), len(tau), n_segments, dtype=dtype)
    # (C, 4) @ (segment, 4, T), in cache-sized chunks
    env = env.transpose(0, 2, 1, 3).reshape(len(noise), 4, len(tau))
    for start in range(0, len(noise), 256):
        noise[start : start + 256] += np.matmul(patterns, env[start : start + 256])
    return noise


def ecg_noise(rng, n_channels, t_ref, tau, sfreq, mains_freq, dtype=np.float64):
    """ECG noise in mV: baseline wander, mains, and white + EMG + 1/f^beta per lead.

    Parameters and return as :func:`mcg_noise`, with ``n_channels`` leads.
    """
    n_groups, n_segments = t_ref.shape
    levels = draw_levels(rng, ECG_NOISE_LEVELS, n_groups)
    lead_gain = rng.uniform(0.5, 1.5, (n_groups, n_channels))
    beta = rng.uniform(1.0, 2.0, n_groups)
    wander = random_drift(rng, n_groups, n_channels, levels["wander"][:, None] * lead_gain)
    mains = random_mains(
        rng, n_groups, n_channels, levels["mains"][:, None] * lead_gain, mains_freq, sfreq
    )
    slow = sinusoid_series(*concat_sinusoids(wander, mains), t_ref, tau)
    shapes = spectral_shapes(len(tau), sfreq, ["white", "emg", "colored1", "colored2"])
    # 1/f^beta for beta in [1, 2] as a mix of the 1/f and 1/f^2 shapes
    mix = np.column_stack(
        [levels["white"] ** 2, levels["emg"] ** 2,
         (2.0 - beta) * levels["colored"] ** 2, (beta - 1.0) * levels["colored"] ** 2]
    )
    noise = shaped_noise(rng, mix @ shapes, n_channels, len(tau), n_segments, dtype=dtype)
    noise.reshape(n_groups, n_segments, n_channels, len(tau))[...] += np.einsum(
        "gsbt->gbst", slow
    )
    return noise


def add_noise(rngs, noise, ecg, ecg_layout, mcg, sensors, sensor, baseline, t_ref, tau, sfreq,
               mains_freq):
    """Noisy copies of ``ecg`` and ``mcg`` (segments grouped as ``t_ref``'s rows).

    ECG noise arises at the electrodes and is combined into leads like the signal,
    so the noisy leads keep Einthoven's and Goldberger's relations (III = II - I...).
    """
    if noise == "none":
        return ecg.copy(), mcg.copy()
    to_leads = electrode_to_lead_matrix(ecg_layout)
    # electrode noise scaled so that the average lead gets the physics.md levels
    to_leads = to_leads / np.sqrt(np.mean(np.sum(to_leads**2, axis=1)))
    electrode_noise = ecg_noise(
        rngs["ecg_noise"], to_leads.shape[1], t_ref, tau, sfreq, mains_freq, dtype=ecg.dtype
    )
    noisy_ecg = matmul_chunked(to_leads, electrode_noise)
    noisy_ecg += ecg
    noisy_mcg = mcg_noise(
        rngs["mcg_noise"], noise, sensors, sensor, baseline, t_ref, tau, sfreq, mains_freq,
        dtype=mcg.dtype,
    )
    noisy_mcg += mcg
    return noisy_ecg, noisy_mcg
