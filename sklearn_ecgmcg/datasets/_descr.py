"""The ``DESCR`` texts of the simulated data sets."""

from ._physics import _dipole

_DESCR_TEMPLATE = """Simulated paired ECG + MCG ({kind})
{underline}

SIMULATED DATA: no real paired ECG-MCG recording is involved.

A current dipole p(t) = kappa * VCG(t) (kappa = 8e-6 A m per mV) follows the
dynamical dipole model of Sameni et al. (EURASIP JASP 2007:043407; extending
McSharry et al., IEEE TBME 50:289, 2003): each Frank component is a sum of
Gaussians in cardiac phase, with between-subject loop rotation (10-20 deg) and
scale (+-20 %), heart position and depth, heart rate, per-beat RR variability
(LF 0.1 Hz / HF 0.25 Hz spectrum), respiration (2-5 deg rotation, 3-5 mm
dipole-sensor distance) and 2-5 % parameter jitter. Conditions are parameter edits:
{conditions}.

ECG ({ecg_layout}, mV): {ecg_model}
MCG ({mcg_layout} {sensor}, pT): normal field component above a conducting
half-space (Cohen & Hosaka, J Electrocardiol 1976), sensor normal out of the chest,
nominal dipole-sensor distance {depth:.3f} m.
Noise ({noise}): {noise_model}

Axes: x subject's left, y toward the feet, z toward the back; metres.
"""

_DOUBLE_LAYER_DESCR = """Simulated paired ECG + MCG ({kind})
{underline}

SIMULATED DATA: no real paired ECG-MCG recording is involved.

Source: an equivalent double layer on the ventricular surface (Geselowitz 1989;
van Oosterom 2001): LV and RV shells cut at the valve plane, each patch with an
epicardial and an endocardial element whose transmembrane potential rises at its
activation time (from 4 breakthrough sites through the Purkinje network, then
through the wall) and falls at activation + APD (apico-basal and transmural
gradients, restitution). Per subject: heart size, position (+-1.5 cm) and
orientation (up to 20 deg), LV wall, torso scale 0.9-1.15, sensor lift-off.
Per beat: RR (LF/HF variability), respiration (heart turned 2-5 deg and moved
3-5 mm), timing jitter. Electrically silent (solenoidal) currents as magnetic
dipoles along the wall normal, proportional to dV/dt, seen by the MCG only.
Conditions are tissue: {conditions}.

ECG ({ecg_layout}, mV): homogeneous sphere conductor (Frank 1952), electrodes on
its surface, Wilson's central terminal; AC-coupled unless ecg_highpass=None.
MCG ({mcg_layout} {sensor}, pT): normal field (half-space or Sarvas sphere),
DC-coupled, nominal heart-sensor distance {depth:.3f} m.
Noise ({noise}): {noise_model}

Axes: x subject's left, y toward the feet, z toward the back; metres.
"""

_ECG_MODELS = {
    "12-lead": "Dower transform of the VCG (Dower 1980).",
    "bspm32": (
        "32 body-surface electrodes (after Lux et al. 1978) in a homogeneous half-space "
        "(sigma 0.2 S/m), referenced to Wilson's central terminal."
    ),
}
_NOISE_MODELS = {
    "none": "no noise added (ecg equals ecg_clean, mcg equals mcg_clean).",
    "shielded": (
        "magnetically shielded room: SQUID white + 1/f noise 0.2-0.5 pT rms per channel, "
        "environmental drift 1-5 pT and mains 0.1-1 pT as a uniform field plus linear "
        "gradient shared by all channels; ECG baseline wander, EMG, mains, white and 1/f noise."
    ),
    "unshielded": (
        "unshielded: SQUID noise 1-5 pT rms per channel, environmental drift 10-50 pT and "
        "mains 5-20 pT shared by all channels (uniform field plus linear gradient); ECG "
        "baseline wander, EMG, mains, white and 1/f noise."
    ),
}


def _describe(kind, codes, ecg_layout, mcg_layout, sensor, depth, noise, source="dipole"):
    used = sorted({_dipole.CONDITIONS[c] for c in codes}, key=_dipole.CONDITIONS.index)
    template = _DESCR_TEMPLATE if source == "dipole" else _DOUBLE_LAYER_DESCR
    return template.format(
        kind=kind,
        underline="=" * len(f"Simulated paired ECG + MCG ({kind})"),
        conditions=", ".join(used),
        ecg_layout=ecg_layout,
        ecg_model=_ECG_MODELS[ecg_layout],
        mcg_layout=mcg_layout,
        sensor=sensor,
        depth=depth,
        noise=noise,
        noise_model=_NOISE_MODELS[noise],
    )


_SEMI_SYNTHETIC_DIPOLE = (
    "Semi-synthetic MCG: SIMULATED from a real ECG\n"
    "=============================================\n\n"
    "Real 12-lead ECG -> inverse Dower transform (Edenbrandt & Pahlm, J Electrocardiol "
    "1988) -> Frank VCG (mV) -> current dipole p = 8e-6 A m/mV * VCG at {position} m -> "
    "normal magnetic field above a conducting half-space (Cohen & Hosaka 1976) on a "
    "{{layout}} {{sensor}} grid at {{depth:.3f}} m. Noise ({{noise}}): {{noise_model}}\n"
)
_SEMI_SYNTHETIC_DOUBLE_LAYER = (
    "Semi-synthetic MCG: SIMULATED from a real ECG\n"
    "=============================================\n\n"
    "Real 12-lead ECG (V1-V6, I, II) -> minimum-norm patch voltages of the equivalent "
    "double layer of a nominal heart (sphere ECG conductor) -> normal magnetic field on a "
    "{layout} {sensor} grid at {depth:.3f} m, plus silent vortex currents drawn from the "
    "prior. Anatomy, the ECG's null space and DC levels come from priors, not from the "
    "ECG. Noise ({noise}): {noise_model}\n"
)
