"""The physics of the paired ECG + MCG simulator, one module per part.

- ``_dipole``: the single moving dipole of physics v1 (Sameni's dynamical model);
- ``_heart``: heart geometry (LV and RV shells cut into patches) and anatomy draws;
- ``_activation``: activation and repolarisation times, transmembrane curves, pathology;
- ``_forward``: body geometry, electrodes, sensors and the dipole lead fields;
- ``_conductor``: the bounded conductors (homogeneous sphere, Sarvas) and magnetic dipoles;
- ``_double_layer``: the equivalent double layer source of physics v2 to ECG and MCG;
- ``_noise``: ECG and MCG noise.

The generators (``make_paired_beats``, ``simulate_paired_recordings``,
``mcg_from_ecg``) sit on top, in ``datasets/_simulate.py``.
"""
