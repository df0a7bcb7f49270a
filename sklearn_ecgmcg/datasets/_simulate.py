"""Simulated paired ECG + MCG beats and records (user guide: simulator, physics).

Everything produced here is SIMULATED. The default source is an equivalent double
layer on the ventricles (Geselowitz 1989; van Oosterom 2001) seen through a
homogeneous sphere (ECG) and a conducting half-space or Sarvas' sphere (MCG);
``source="dipole"`` is v1's single dynamical dipole (Sameni et al. 2007, after
McSharry et al. 2003). No code of ECGSYN, ECGSIM, OSET, fecgsyn or MCGpy is used.
"""

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import validate_params

from ._descr import _describe
from ._params import (
    BEATS_CONSTRAINTS,
    RECORDS_CONSTRAINTS,
    _check_dtype,
    _condition_codes,
    check_physics,
)
from ._physics import _dipole, _dipole_source, _double_layer, _forward, _noise

__all__ = ["make_paired_beats", "simulate_paired_recordings"]

HR_STD_BPM = 1.0
_STREAMS = ("anatomy", "condition", "rhythm", "respiration", "jitter", "ecg_noise", "mcg_noise")


def _streams(random_state):
    """Independent generators per model component (one SeedSequence child each)."""
    entropy = check_random_state(random_state).randint(0, 2**31 - 1, size=4)
    children = np.random.SeedSequence([int(e) for e in entropy]).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children)}


def _layout_info(ecg_layout, mcg_layout, depth):
    if ecg_layout == "12-lead":
        ecg_names = list(_forward.ECG_12_LEAD_NAMES)
        electrode_names, electrodes = _forward.standard_electrode_positions()
    else:
        electrode_names, electrodes = _forward.bspm32_electrode_positions()
        ecg_names = list(electrode_names)
    return Bunch(
        ecg_ch_names=ecg_names,
        mcg_ch_names=_forward.mcg_channel_names(mcg_layout),
        electrode_names=electrode_names,
        electrode_positions=electrodes,
        sensor_positions=_forward.mcg_sensor_positions(mcg_layout, depth),
    )


# --------------------------------------------------------------------------- public API


@validate_params(BEATS_CONSTRAINTS, prefer_skip_nested_validation=True)
def make_paired_beats(
    n_subjects=20,
    beats_per_subject=50,
    *,
    sfreq=500,
    tmin=-0.25,
    tmax=0.45,
    source="double_layer",
    ecg_layout="12-lead",
    mcg_layout="6x6",
    noise="shielded",
    conditions=None,
    n_patches=24,
    silent_fraction=0.07,
    ecg_highpass=0.05,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    depth=0.09,
    heart_rate=(55.0, 85.0),
    respiration=True,
    mains_freq=50,
    random_state=None,
    dtype=np.float32,
):
    """Generate SIMULATED paired ECG + MCG heartbeats.

    Each subject's heart drives an ECG and an MCG forward model, so sample ``i``
    of ``ecg`` and of ``mcg`` are the same simulated heartbeat, with its ground
    truth. The default source is an equivalent double layer on the ventricles
    (physics v2): the heart's size, position, orientation and wall, the torso and
    the sensors' lift-off vary between subjects; the RR interval (LF/HF heart-rate
    variability), respiration and the patches' timing between beats; conditions
    change the tissue. ``source="dipole"`` is the single moving dipole of v1. The
    user guide's *simulator* and *physics* pages give the formulas and ranges.

    Parameters
    ----------
    n_subjects : int, default=20
        Number of simulated subjects.
    beats_per_subject : int, default=50
        Consecutive beats per subject.
    sfreq : float, default=500
        Sampling rate in Hz (at least 100).
    tmin, tmax : float, default=-0.25, 0.45
        Window around each R peak in seconds; ``tmin < 0 < tmax``. The R peak is
        the peak of the heart vector.
    source : {"double_layer", "dipole"}, default="double_layer"
        The equivalent double layer (physics v2) or one moving dipole (v1, its
        outputs unchanged).
    ecg_layout : {"12-lead", "bspm32"}, default="12-lead"
        ``"12-lead"``: the standard leads (double layer: electrodes on a
        homogeneous sphere; dipole: the Dower transform of the VCG).
        ``"bspm32"``: 32 body-surface electrodes referenced to Wilson's terminal.
    mcg_layout : {"6x6", "8x8"}, default="6x6"
        36 sensors at 40 mm pitch or 64 sensors at 25 mm pitch, flat, above the heart.
    noise : {"none", "shielded", "unshielded"}, default="shielded"
        Noise preset. The MCG environmental part (drift, mains) is a uniform field
        plus a linear gradient shared by all channels; SQUID noise is independent
        per channel. ECG noise (baseline wander, EMG, mains, white, 1/f) arises at
        the electrodes, so noisy leads keep III = II - I; it is the same for both
        presets other than ``"none"``.
    conditions : None, str, list of str or dict, default=None
        ``None``: all subjects ``"normal"``. A list of names: subjects take them in
        turn (round robin). A dict ``name -> fraction`` (fractions summing to 1):
        consecutive blocks of subjects. Names: ``"normal"``, ``"anterior_mi"``,
        ``"inferior_mi"``, ``"lbbb"``, ``"rbbb"``, ``"lvh"``, ``"ischemia"``.
    n_patches : int, default=24
        Patches of the ventricular surface (double layer), each with an
        epicardial and an endocardial element (plus the basal rings).
    silent_fraction : float, default=0.07
        Share of each subject's MCG power (summed squares) carried by electrically
        silent vortex currents (double layer); no ECG sees them. No consensus value
        exists; 5-10 % is the range considered.
    ecg_highpass : float or None, default=0.05
        Cut-off (Hz) of the ECG amplifier's AC coupling (double layer), which
        removes the DC level an injury current adds; ``None`` keeps it, as the
        DC-coupled MCG does.
    mcg_model : {"half-space", "sphere"}, default="half-space"
        Normal field above a conducting half-space (flat dewar) or Sarvas' sphere
        (double layer only).
    sensor : {"magnetometer", "gradiometer"}, default="magnetometer"
        A first-order axial gradiometer measures ``B(r) - B(r + baseline n)``.
    gradiometer_baseline : float, default=0.05
        Gradiometer baseline in metres.
    depth : float, default=0.09
        Nominal heart-to-sensor distance in metres (at least 0.08 for the double
        layer, whose chest wall lies 7 cm in front of the heart); each subject's
        heart lies within +-1 cm (dipole) or +-1.5 cm (double layer) of it.
    heart_rate : tuple of float, default=(55.0, 85.0)
        Range (bpm) of the subjects' mean heart rates.
    respiration : bool, default=True
        Turn the heart (2-5 deg) and move it (3-5 mm) with respiration.
    mains_freq : {50, 60}, default=50
        Mains frequency in Hz.
    random_state : int, RandomState instance or None, default=None
        Seed. Each model component (anatomy, condition severity, rhythm,
        respiration, jitter, ECG noise, MCG noise) has its own stream, so changing
        the conditions leaves geometry, rhythm and noise unchanged.
    dtype : {np.float32, np.float64}, default=np.float32
        Of the signal and dipole arrays. float32 halves the memory (10,000 beats
        of 12-lead + 36-channel MCG with their clean copies take 1.4 GB) and is
        what PyTorch consumes; positions and times are always float64.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_beats, n_ecg_channels, n_times)
            Noisy ECG in mV, ``n_beats = n_subjects * beats_per_subject``.
        mcg : ndarray of shape (n_beats, n_mcg_channels, n_times)
            Noisy MCG in pT (field component along the sensor normal, out of the chest).
        ecg_clean, mcg_clean : ndarray
            The same without noise.
        groups : ndarray of shape (n_beats,)
            Subject index of each beat.
        target : ndarray of shape (n_beats,)
            Condition code of each beat, an index into ``target_names``.
        target_names : ndarray of str
            All condition names, in code order.
        dipole : ndarray of shape (n_beats, 3, n_times)
            The heart's current dipole moment in A m (double layer: the sum of
            its patches' moments).
        dipole_position : ndarray of shape (n_beats, 3)
            Its position in metres (double layer: the LV centre).
        mcg_silent : ndarray of shape (n_beats, n_mcg_channels, n_times)
            Double layer: the silent currents' part of ``mcg_clean``.
        activation_times, repolarisation_times : ndarray of shape (n_beats, n_elements)
            Double layer: each element's activation and repolarisation time (s
            from the R peak) in each beat.
        patch_positions, patch_normals : ndarray of shape (n_subjects, n_elements, 3)
            Double layer: element centres (m) and area-weighted outward normals
            (m^2) at the mean respiratory pose.
        patch_layer, patch_chamber : ndarray of shape (n_elements,)
            Double layer: 0 endocardium, 1 epicardium, 2 basal ring; 0 LV, 1 RV.
        patch_amplitude, patch_rest : ndarray of shape (n_subjects, n_elements)
            Double layer: action-potential amplitude and resting level.
        repolarisation_slope : ndarray of shape (n_subjects,)
            Double layer: the repolarisation time scale epsilon in s.
        lead_matrices : Bunch
            Double layer: ``ecg`` (n_subjects, n_ecg_channels, n_elements) in mV
            and ``mcg`` (n_subjects, n_mcg_channels, n_elements) in pT per unit
            patch voltage, before AC coupling, at the mean respiratory pose.
        anatomy : Bunch
            Double layer, per subject: ``size``, ``lv_wall``, ``lv_dilation``,
            ``position``, ``rotation``, ``torso_scale``, ``lift_off``,
            ``breakthrough_sites``, ``sensor_positions``, ``electrode_positions``.
        pathology_region, pathology_severity, patch_in_region
            Double layer, per subject: the region (``"anterior"``,
            ``"inferior"``, ``"lateral"`` or ``"none"``), its severity in [0, 1]
            and which elements it holds.
        secondary_dipole, secondary_dipole_position
            Dipole: the weak ST-T dipole of ischemia (zero for the other conditions).
        heart_rate : ndarray of shape (n_beats,)
            Instantaneous heart rate of each beat in bpm.
        sensor_positions : ndarray of shape (n_mcg_channels, 3)
            MCG sensor positions in metres, in channel order.
        electrode_positions : ndarray of shape (n_electrodes, 3)
            The 9 electrodes of the 12-lead ECG or the 32 BSPM electrodes.
        electrode_names, ecg_ch_names, mcg_ch_names : list of str
            Names of the electrodes and of the ECG and MCG channels.
        ch_names : dict
            ``{"ecg": ecg_ch_names, "mcg": mcg_ch_names}``.
        times : ndarray of shape (n_times,)
            Seconds relative to the R peak.
        r_peak_index : int
            Index of ``times == 0``.
        sfreq : float
            Sampling rate in Hz.
        DESCR : str
            Description of the simulation.

    Notes
    -----
    Double layer (the default): the conditions change the tissue; region and
    severity are in the ground truth.

    - ``anterior_mi``, ``inferior_mi``: a healed scar: the region's elements take
      the potential of the scar's border with living muscle (one activation and
      repolarisation through the wall, blended in by the severity 0.5-1), so the
      leads facing it lose their R wave (Q/QS) and the ST stays isoelectric;
    - ``lbbb``, ``rbbb``: the LV or RV breakthrough sites lost and the myocardial
      conduction 15 % slower (QRS about 165 ms and 115 ms);
    - ``lvh``: a thicker (14-18 mm) and 10-20 % larger LV;
    - ``ischemia``: in an anterior, inferior or lateral region, action potentials
      up to 30 % lower and 40 % shorter, and the resting potential raised by up to
      20 % of the action potential: an injury current during TQ that the
      DC-coupled MCG keeps and an AC-coupled ECG loses.

    Dipole (``source="dipole"``): the conditions edit the Gaussian parameters of
    the normal set (amplitudes drawn per subject in the ranges given):

    - ``anterior_mi``: the early anterior (-z) QRS force turns posterior and wider
      (Q/QS in V1-V3), ST elevation term in -z, T inverted in z for half the subjects;
    - ``inferior_mi``: early inferior force removed plus a superior Q term (Q in III,
      aVF), inferior ST elevation;
    - ``lbbb``: QRS widths x 2-2.5 and timing x 1.5-1.75 (QRS about 130-200 ms),
      no septal q, late posterior term, discordant T;
    - ``rbbb``: late rightward-anterior term at theta 0.4-0.5 (R' in V1) and QRS
      widths x 1.1-1.3 (QRS about 105-140 ms);
    - ``lvh``: x and z QRS amplitudes x 1.5-2.5 (Sokolow-Lyon >= 3.5 mV), widths
      x 1.1-1.2, strain (negative T in x) for half the subjects;
    - ``ischemia``: T waves x (-1 ... 0.3), ST depression for half the subjects, and
      a second dipole (10-30 % of the normal T dipole, random direction) in the
      anterior wall during ST-T, seen by the MCG and the BSPM at its own position
      (its field map is then rotated or non-dipolar), by the 12-lead ECG only
      through the summed moment.

    Every component has its own random stream, so for a given ``random_state`` the
    subjects' geometry, rhythm, respiration, jitter and noise do not depend on the
    conditions. The beat window uses one RR interval per beat: late samples of a
    long window show the next beat's P wave at that rate.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import make_paired_beats
    >>> data = make_paired_beats(n_subjects=2, beats_per_subject=3, random_state=0)
    >>> data.ecg.shape, data.mcg.shape
    ((6, 12, 351), (6, 36, 351))
    """
    sfreq, heart_rate = check_physics(sfreq, heart_rate, source, depth, mcg_model)
    if not tmin < 0.0 < tmax:
        raise ValueError(f"Need tmin < 0 < tmax; got tmin={tmin!r}, tmax={tmax!r}.")
    codes = _condition_codes(conditions, n_subjects)
    dtype = _check_dtype(dtype)
    baseline = gradiometer_baseline
    rngs = _streams(random_state)

    start, stop = int(round(tmin * sfreq)), int(round(tmax * sfreq))
    times = np.arange(start, stop + 1) / sfreq
    if source == "dipole":
        subj = _dipole_source.draw_subjects(rngs, codes, heart_rate, depth)
        subject_rate = subj.heart_rate
    else:  # the same draw as the dipole's (the rhythm stream's first)
        subject_rate = rngs["rhythm"].uniform(*heart_rate, n_subjects)
    r_times, rr = _dipole.beat_rhythm(rngs["rhythm"], subject_rate, beats_per_subject, HR_STD_BPM)
    idx = np.repeat(np.arange(n_subjects), beats_per_subject)
    beat_rr = rr.ravel()
    info = _layout_info(ecg_layout, mcg_layout, depth)
    if source == "dipole":
        ecg_clean, mcg_clean, truth = _dipole_source.paired_beats(
            rngs, subj, idx, r_times, beat_rr, times, start, ecg_layout, info.sensor_positions,
            sensor, baseline, respiration, dtype,
        )
    else:
        ecg_clean, mcg_clean, truth = _double_layer.paired_beats(
            rngs, codes, _dipole.CONDITIONS, idx, r_times.ravel(), beat_rr, times,
            ecg_layout=ecg_layout, sensors=info.sensor_positions, sensor=sensor,
            baseline=baseline, n_patches=n_patches, silent_fraction=silent_fraction,
            ecg_highpass=ecg_highpass, mcg_model=mcg_model, respiration=respiration, dtype=dtype,
        )
    ecg, mcg = _noise.add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        r_times, times, sfreq, mains_freq,
    )
    return Bunch(
        ecg=ecg, mcg=mcg, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        groups=idx, target=codes[idx], target_names=np.array(_dipole.CONDITIONS),
        heart_rate=60.0 / beat_rr,
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names},
        times=times, r_peak_index=-start, sfreq=sfreq,
        DESCR=_describe("beats", codes, ecg_layout, mcg_layout, sensor, depth, noise, source),
        **truth, **info,
    )


@validate_params(RECORDS_CONSTRAINTS, prefer_skip_nested_validation=True)
def simulate_paired_recordings(
    n_subjects=5,
    duration=10.0,
    *,
    records_per_subject=1,
    sfreq=500,
    source="double_layer",
    ecg_layout="12-lead",
    mcg_layout="6x6",
    noise="shielded",
    conditions=None,
    n_patches=24,
    silent_fraction=0.07,
    ecg_highpass=0.05,
    mcg_model="half-space",
    sensor="magnetometer",
    gradiometer_baseline=0.05,
    depth=0.09,
    heart_rate=(55.0, 85.0),
    respiration=True,
    mains_freq=50,
    random_state=None,
    dtype=np.float32,
):
    """Generate SIMULATED continuous paired ECG + MCG recordings with true R peaks.

    The same sources as :func:`make_paired_beats`, run continuously: the RR
    interval follows an LF/HF spectral process (ECGSYN model) and every beat has
    its own timing (double layer: activation and repolarisation times, each sample
    taking its beat and the one before; dipole: jittered wave parameters on the
    phase ``theta(t) = theta0 + int 2 pi / RR(t) dt``); respiration turns and
    moves the heart sample by sample, and the AC-coupled ECG goes through a
    first-order high-pass. ECG and MCG share one time base, for testing R-peak
    detection and beat segmentation on paired signals.

    Parameters
    ----------
    n_subjects : int, default=5
        Number of simulated subjects.
    duration : float, default=10.0
        Length of each record in seconds (at least 2).
    sfreq : float, default=500
        Sampling rate in Hz (at least 100).
    records_per_subject : int, default=1
        Records per subject (same heart, independent rhythm, respiration and noise).
    source, ecg_layout, mcg_layout, noise, conditions, n_patches, silent_fraction, \
ecg_highpass, mcg_model, sensor, gradiometer_baseline, depth, heart_rate, respiration, \
mains_freq, random_state, dtype
        As in :func:`make_paired_beats`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ecg : ndarray of shape (n_records, n_ecg_channels, n_times)
            Noisy ECG in mV, ``n_records = n_subjects * records_per_subject``.
        mcg : ndarray of shape (n_records, n_mcg_channels, n_times)
            Noisy MCG in pT.
        ecg_clean, mcg_clean : ndarray
            The same without noise.
        r_peaks : list of ndarray of int
            Sample index of every true R peak of each record (the heart vector's
            peak; the dipole's phase 0).
        groups : ndarray of shape (n_records,)
            Subject of each record.
        target, target_names
            Condition code of each record and all condition names.
        dipole : ndarray of shape (n_records, 3, n_times)
            The heart's current dipole moment in A m.
        dipole_position : ndarray
            Dipole: its position in metres, (n_records, 3, n_times) (it moves with
            respiration); double layer: the LV centre, (n_records, 3).
        mcg_silent, patch_positions, patch_normals, patch_layer, patch_chamber, \
patch_amplitude, patch_rest, repolarisation_slope, lead_matrices, anatomy, \
pathology_region, pathology_severity, patch_in_region
            Double layer: as in :func:`make_paired_beats` (no per-beat times).
        secondary_dipole, secondary_dipole_position
            Dipole: the weak ST-T dipole of ischemia (zero for the other conditions).
        sensor_positions, electrode_positions, electrode_names, ecg_ch_names, \
mcg_ch_names, ch_names, sfreq, DESCR
            As in :func:`make_paired_beats`.
        times : ndarray of shape (n_times,)
            Seconds from the start of the record.

    Examples
    --------
    >>> from sklearn_ecgmcg.datasets import simulate_paired_recordings
    >>> rec = simulate_paired_recordings(n_subjects=2, duration=5, random_state=0)
    >>> rec.ecg.shape, rec.mcg.shape, len(rec.r_peaks)
    ((2, 12, 2500), (2, 36, 2500), 2)
    """
    sfreq, heart_rate = check_physics(sfreq, heart_rate, source, depth, mcg_model)
    codes = _condition_codes(conditions, n_subjects)
    dtype = _check_dtype(dtype)
    baseline = gradiometer_baseline
    rngs = _streams(random_state)

    n_times = int(round(duration * sfreq))
    times = np.arange(n_times) / sfreq
    if source == "double_layer":
        return _double_layer_records(
            rngs, codes, n_subjects, records_per_subject, times, heart_rate,
            ecg_layout=ecg_layout, mcg_layout=mcg_layout, noise=noise, sensor=sensor,
            baseline=baseline, depth=depth, n_patches=n_patches, silent_fraction=silent_fraction,
            ecg_highpass=ecg_highpass, mcg_model=mcg_model, respiration=respiration, sfreq=sfreq,
            mains_freq=mains_freq, dtype=dtype,
        )
    subj = _dipole_source.draw_subjects(rngs, codes, heart_rate, depth)
    record_subject = np.repeat(np.arange(n_subjects), records_per_subject)
    info = _layout_info(ecg_layout, mcg_layout, depth)
    ecg_clean, mcg_clean, truth = _dipole_source.paired_records(
        rngs, subj, record_subject, times, duration, ecg_layout=ecg_layout,
        sensors=info.sensor_positions, sensor=sensor, baseline=baseline,
        respiration=respiration, dtype=dtype, hr_std=HR_STD_BPM,
    )
    ecg_noisy, mcg_noisy = _noise.add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        np.zeros((len(record_subject), 1)), times, sfreq, mains_freq,
    )
    return Bunch(
        ecg=ecg_noisy, mcg=mcg_noisy, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        groups=record_subject, target=codes[record_subject],
        target_names=np.array(_dipole.CONDITIONS),
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names},
        times=times, sfreq=sfreq,
        DESCR=_describe("records", codes, ecg_layout, mcg_layout, sensor, depth, noise),
        **truth, **info,
    )


def _double_layer_records(rngs, codes, n_subjects, records_per_subject, times, heart_rate, *,
                          ecg_layout, mcg_layout, noise, sensor, baseline, depth, n_patches,
                          silent_fraction, ecg_highpass, mcg_model, respiration, sfreq,
                          mains_freq, dtype):
    """``simulate_paired_recordings`` with the double-layer source."""
    record_subject = np.repeat(np.arange(n_subjects), records_per_subject)
    n_records, duration = len(record_subject), times[-1] + 1.0 / sfreq
    rates = rngs["rhythm"].uniform(*heart_rate, n_subjects)  # the dipole's first draw too
    lead_in = 1.0  # s of rhythm before the record, for the beat already under way
    grid, rr = _dipole.rr_tachogram(
        rngs["rhythm"], n_records, duration + lead_in + 2.0, rates[record_subject],
        np.full(n_records, HR_STD_BPM),
    )
    n_beats = int(np.ceil((duration + lead_in + 1.0) * rates.max() / 60.0 * 1.3)) + 2
    phase0 = rngs["rhythm"].uniform(-np.pi, np.pi, n_records)
    all_r = _dipole.beat_times(grid, rr, phase0, n_beats) - lead_in
    resp_offset = rngs["respiration"].uniform(0.0, 100.0, n_records)
    r_times, beat_rr = [], []
    for r in range(n_records):
        inside = np.flatnonzero(all_r[r] < times[-1])
        first = max(int(np.searchsorted(all_r[r], 0.0)) - 1, 0)
        r_times.append(all_r[r, first : inside[-1] + 1])
        beat_rr.append(np.interp(r_times[-1] + lead_in, grid, rr[r]))
    info = _layout_info(ecg_layout, mcg_layout, depth)
    ecg_clean, mcg_clean, truth = _double_layer.paired_records(
        rngs, codes, _dipole.CONDITIONS, record_subject, r_times, beat_rr, times, resp_offset,
        ecg_layout=ecg_layout, sensors=info.sensor_positions, sensor=sensor, baseline=baseline,
        n_patches=n_patches, silent_fraction=silent_fraction, ecg_highpass=ecg_highpass,
        mcg_model=mcg_model, respiration=respiration, sfreq=sfreq, dtype=dtype,
    )
    ecg, mcg = _noise.add_noise(
        rngs, noise, ecg_clean, ecg_layout, mcg_clean, info.sensor_positions, sensor, baseline,
        np.zeros((n_records, 1)), times, sfreq, mains_freq,
    )
    r_peaks = [np.rint(r[r >= 0.0] * sfreq).astype(int) for r in r_times]
    return Bunch(
        ecg=ecg, mcg=mcg, ecg_clean=ecg_clean, mcg_clean=mcg_clean,
        r_peaks=[p[p < len(times)] for p in r_peaks], groups=record_subject,
        target=codes[record_subject], target_names=np.array(_dipole.CONDITIONS),
        ch_names={"ecg": info.ecg_ch_names, "mcg": info.mcg_ch_names}, times=times,
        sfreq=sfreq,
        DESCR=_describe("records", codes, ecg_layout, mcg_layout, sensor, depth, noise,
                        "double_layer"),
        **truth, **info,
    )


