"""The "recording chain" applied to every finished mix, with genre-independent odds.

Room reverb, EQ tilt, band-limiting (old recording, telephone, rumble
filter), bus saturation, hiss, hum, crackle, audience, fades and the final
peak level are drawn from the *same* distributions for all four genres, so a
classifier cannot tell the genre from a production artefact. (The genre
arrangers still give instruments their own character, e.g. a room on an
acoustic drum kit, as real instruments have.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth import dsp, effects


@dataclass
class ChainSettings:
    """What the chain did to one song (useful for tests and corpus notes).

    Attributes
    ----------
    reverb_rt60 : float
        0 when no reverb was applied, else the reverberation time in s.
    band : str
        ``full``, ``lowpass``, ``phone`` or ``highpass``.
    hiss_snr_db, hum_snr_db : float or None
        Noise levels relative to the music RMS (None = absent).
    peak_dbfs : float
        Final peak level.
    """

    reverb_rt60: float = 0.0
    band: str = "full"
    hiss_snr_db: float | None = None
    hum_snr_db: float | None = None
    crackle: bool = False
    crowd: bool = False
    saturation: float = 0.0
    peak_dbfs: float = -1.0


def master(x: np.ndarray, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, ChainSettings]:
    """Apply a random recording/mastering chain.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The dry mix (any level).
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Only the chain's own generator; the same odds for every genre.

    Returns
    -------
    y : ndarray, shape (n,), float32
        Peak between -20 and -1 dBFS.
    settings : ChainSettings
    """
    cs = ChainSettings()
    n = len(x)
    y = x.astype(np.float32)
    ref = max(dsp.rms(y), 1e-9)
    y /= ref  # unit RMS from here on
    if rng.random() < 0.7:
        cs.reverb_rt60 = float(np.exp(rng.uniform(np.log(0.25), np.log(3.0))))
        ir = effects.reverb_ir(rng, sr, cs.reverb_rt60, rng.uniform(0.0, 0.05), rng.uniform(0.0, 1.0))
        y = effects.apply_reverb(y, ir, rng.uniform(0.05, 0.45))
    sos = [dsp.shelf_sos(rng.uniform(120, 350), rng.uniform(-5, 5), sr, high=False),
           dsp.shelf_sos(rng.uniform(2000, 6000), rng.uniform(-7, 5), sr, high=True)]
    for _ in range(int(rng.integers(0, 3))):
        sos.append(dsp.peaking_sos(np.exp(rng.uniform(np.log(150), np.log(6000))), rng.uniform(-5, 5),
                                   rng.uniform(0.7, 2.5), sr))
    u = rng.random()
    if u < 0.18:
        cs.band = "lowpass"
        sos.append(dsp.butter_sos("lowpass", rng.uniform(3000, 9000), sr, order=int(rng.choice([2, 4, 6]))))
    elif u < 0.23:
        cs.band = "phone"
        sos.append(dsp.butter_sos("bandpass", (rng.uniform(200, 450), rng.uniform(3000, 4200)), sr, order=3))
    elif u < 0.48:
        cs.band = "highpass"
        sos.append(dsp.butter_sos("highpass", rng.uniform(40, 180), sr))
    y = dsp.apply_sos(y, np.concatenate(sos))
    if rng.random() < 0.55:
        cs.saturation = float(rng.uniform(0.8, 3.0))
        peak = max(float(np.max(np.abs(y))), 1e-9)
        y = dsp.soft_clip(y / peak * rng.uniform(1.0, 1.5), cs.saturation) * peak
    level = max(dsp.rms(y), 1e-9)
    if rng.random() < 0.35:
        cs.hiss_snr_db = float(rng.uniform(22, 60))
        noise = dsp.white(rng, n) if rng.random() < 0.5 else dsp.pink(rng, n)
        y += noise * (level * dsp.db_to_gain(-cs.hiss_snr_db))
    if rng.random() < 0.12:
        cs.hum_snr_db = float(rng.uniform(30, 60))
        y += effects.hum(n, sr, float(rng.choice([50.0, 60.0])), rng) * (level * dsp.db_to_gain(-cs.hum_snr_db))
    if rng.random() < 0.12:
        cs.crackle = True
        y += effects.crackle(rng, n, sr, rng.uniform(3, 30)) * (level * dsp.db_to_gain(-rng.uniform(25, 45)))
    if rng.random() < 0.08:
        cs.crowd = True
        y += effects.crowd(rng, n, sr) * (level * dsp.db_to_gain(-rng.uniform(18, 35)))
    effects.fade(y, sr, rng.uniform(0.0, 1.5) if rng.random() < 0.5 else 0.0,
                 rng.uniform(2.0, 8.0) if rng.random() < 0.5 and n > 20 * sr else 0.0)
    cs.peak_dbfs = float(rng.uniform(-20.0, -1.0))
    peak = float(np.max(np.abs(y)))
    if peak > 0:
        y *= float(dsp.db_to_gain(cs.peak_dbfs)) / peak
    return y.astype(np.float32), cs
