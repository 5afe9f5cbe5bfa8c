"""Recorded percussion: drum kits, tabla bols, hand claps, loops (sample names per role)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.sampled.sources import SampleLibrary, load_sample

#: Acoustic kits for Rock: role -> (kit folder or "" for Sonic Pi, file names).
ACOUSTIC_KITS = {
    "colombo": {
        "kick": ("ColomboAcousticDrumkit", ("bassdrum-4mics-br-stereo-normal3.flac", "bassdrum-4mics-br-stereo-soft4.flac")),
        "snare": ("ColomboAcousticDrumkit", ("snare-opaque-2mics_normal-shot1.flac",
                                              "snare-opaque-normal-mic-normal_shot2.flac",
                                              "snare-opaque-normal-mic-normal_shot3.flac")),
        "hat": ("ColomboAcousticDrumkit", ("hihat-closed-1.flac", "hihat-closed-4.flac", "hihat-closed-6.flac")),
        "open_hat": ("ColomboAcousticDrumkit", ("hihat-open-1.flac", "hihat-semi-open-1.flac")),
        "crash": ("ColomboAcousticDrumkit", ("crash16i__crash1.flac", "crash20i__crash.flac")),
        "ride": ("ColomboAcousticDrumkit", ("crash20i__ride4.flac", "crash16i__ride2.flac")),
        "tom": ("ColomboAcousticDrumkit", ("tom-hi-1.flac", "tom-mid-1.flac", "tom-low-1.flac")),
    },
    "millo": {
        "kick": ("Millo-Drums_v.1", ("bd1.flac",)),
        "snare": ("Millo-Drums_v.1", ("snare1.flac", "snare3.flac")),
        "hat": ("Millo-Drums_v.1", ("closehihat3.flac", "pedalhihat.flac")),
        "open_hat": ("Millo-Drums_v.1", ("openhat2.flac",)),
        "crash": ("Millo-Drums_v.1", ("crash.flac", "cra_Rock_a.flac")),
        "ride": ("Millo-Drums_v.1", ("ride1.flac", "ride2.flac")),
        "tom": ("Millo-Drums_v.1", ("tom1_1.flac", "tom1_a.flac", "tom2_1.flac")),
    },
    "sonicpi": {
        "kick": ("", ("drum_heavy_kick", "drum_bass_hard")),
        "snare": ("", ("drum_snare_hard", "drum_snare_soft")),
        "hat": ("", ("drum_cymbal_closed", "drum_cymbal_pedal")),
        "open_hat": ("", ("drum_cymbal_open",)),
        "crash": ("", ("drum_splash_hard", "drum_cymbal_hard")),
        "ride": ("", ("drum_cymbal_soft",)),
        "tom": ("", ("drum_tom_hi_hard", "drum_tom_mid_hard", "drum_tom_lo_hard")),
    },
}
#: Machine kits for Hip-hop.
MACHINE_KITS = {
    "boom": {
        "kick": ("", ("bd_boom", "bd_fat", "bd_klub", "bd_zum", "bd_sone")),
        "snare": ("", ("sn_dolf", "sn_dub", "sn_generic", "sn_zome", "elec_snare")),
        "hat": ("", ("drum_cymbal_closed", "elec_tick")),
        "open_hat": ("", ("drum_cymbal_open",)),
        "clap": ("HardElectro1", ("Clap_1.flac", "Amp_Clap_1.flac")),
    },
    "trap": {
        "kick": ("", ("bd_808", "bd_haus", "bd_tek")),
        "snare": ("HardElectro1", ("PowR_SN_1.flac",)),
        "hat": ("HardElectro1", ("CHH_1.flac", "Hard_CHH_01.flac", "Hard_CHH_02.flac")),
        "open_hat": ("HardElectro1", ("Hard_Hse_OHH_1.flac",)),
        "clap": ("HardElectro1", ("Clap_1.flac", "Amp_Clap_1.flac")),
    },
}
#: Tabla bols -> Sonic Pi sample stems (a compound bol plays both hands).
TABLA_BOLS = {
    "na": ("tabla_na",), "ta": ("tabla_na_s",), "tin": ("tabla_na_o",), "te": ("tabla_te1", "tabla_te2"),
    "ke": ("tabla_ke1", "tabla_ke2", "tabla_ke3"), "ge": ("tabla_ghe1", "tabla_ghe2", "tabla_ghe3", "tabla_ghe4"),
    "tun": ("tabla_tun1", "tabla_tun2", "tabla_tun3"), "re": ("tabla_re",), "ti": ("tabla_te_m", "tabla_te_ne"),
    "dha": ("tabla_na", "tabla_ghe5"), "dhin": ("tabla_na_o", "tabla_ghe6"), "dhi": ("tabla_tas1", "tabla_ghe7"),
}
#: Hand claps (one clapper's recordings; an ensemble stacks them with spread).
CLAPS = (("Gimme A Hand 1.0", ("HandClap-Hard.wav", "HandClap-Hardest.wav", "HandClap-Med.wav",
                               "HandClap-Soft.wav")), ("Millo-Drums_v.1", ("clap_Dry_c.flac",)))
#: Hand-drum stand-ins for the dholak's two heads (cajon thump, bongo slap).
DHOLAK = {"bass": ("Gimme A Hand 1.0", ("CajonThumps-Med.wav", "CajonThumps-Hard.wav")),
          "treble": ("Gimme A Hand 1.0", ("BongoHi-Med.wav", "BongoHi-Hard.wav", "CajonSlaps-Med.wav"))}
#: Breakbeat loops (stem, beats in the loop).
BREAKS = (("loop_amen", 4), ("loop_breakbeat", 4), ("loop_compus", 16), ("loop_amen_full", 16))


def resolve(library: SampleLibrary, kit_entry: tuple[str, tuple[str, ...]]) -> list[Path]:
    """File paths of one role (``("", stems)`` are Sonic Pi samples, else a Hydrogen kit folder)."""
    folder, names = kit_entry
    if not folder:
        return [library.sonic_pi(name) for name in names]
    return [library.hydrogen(folder, name) for name in names]


class Sampler:
    """Loads and pitches recorded hits for one song (choices drawn from its generator).

    Parameters
    ----------
    library : SampleLibrary
    sample_rate : int
    rng : numpy.random.Generator
    """

    def __init__(self, library: SampleLibrary, sample_rate: int, rng: np.random.Generator) -> None:
        self.library, self.sample_rate, self.rng = library, int(sample_rate), rng

    def pick(self, paths: list[Path]) -> np.ndarray:
        """One of ``paths``, loaded."""
        return load_sample(paths[int(self.rng.integers(len(paths)))], self.sample_rate)

    def tabla(self, bol: str) -> np.ndarray:
        """One tabla stroke (both hands for compound bols), float32."""
        stems = TABLA_BOLS[bol]
        if bol in ("te", "ke", "ge", "tun", "ti"):
            stems = (stems[int(self.rng.integers(len(stems)))],)
        parts = [load_sample(self.library.sonic_pi(s), self.sample_rate) for s in stems]
        out = np.zeros(max(p.size for p in parts), np.float32)
        for p in parts:
            out[: p.size] += p
        return out

    def place(self, buf: np.ndarray, sound: np.ndarray, t: float, gain: float = 1.0, rate: float = 1.0) -> None:
        """Add ``sound`` at ``t`` s into ``buf``, played ``rate`` times faster (and higher)."""
        if rate != 1.0:
            idx = np.arange(0, sound.size - 1, rate)
            sound = np.interp(idx, np.arange(sound.size), sound).astype(np.float32)
        i = int(round(t * self.sample_rate))
        if i >= buf.size or i + sound.size <= 0:
            return
        a, b = max(0, i), min(buf.size, i + sound.size)
        buf[a:b] += gain * sound[a - i: b - i]
