"""The sound devices PortAudio offers, through ``sounddevice`` imported lazily (Qt-free).

Importing ``sounddevice`` raises ``OSError`` when the PortAudio library is
missing; that must cost the app its playback and recording, not its start,
so every use goes through :func:`sounddevice_module`, which turns it into
an :class:`AudioDeviceError` that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from urdu_genre_app.core.errors import UrduGenreError

__all__ = ["AudioDeviceError", "InputDevice", "list_input_devices", "rescan_devices", "sounddevice_module"]


class AudioDeviceError(UrduGenreError):
    """Sound input or output is unavailable (no PortAudio, no device, refused)."""


def sounddevice_module():
    """``sounddevice``, imported on first use.

    Raises
    ------
    AudioDeviceError
        PortAudio is not installed or cannot be loaded.
    """
    try:
        import sounddevice
    except OSError as error:
        raise AudioDeviceError(
            f"the PortAudio sound library is not installed or cannot be loaded ({error}); "
            "playback and recording are unavailable"
        ) from error
    except ImportError as error:
        raise AudioDeviceError(f"the sounddevice package is missing ({error}); playback and recording are unavailable") from error
    return sounddevice


def rescan_devices() -> None:
    """Make PortAudio list devices again (it enumerates them once, at start-up)."""
    sd = sounddevice_module()
    terminate, initialize = getattr(sd, "_terminate", None), getattr(sd, "_initialize", None)
    if terminate is not None and initialize is not None:
        try:
            terminate()
        finally:
            initialize()


@dataclass(frozen=True)
class InputDevice:
    """An audio input PortAudio offers.

    Attributes
    ----------
    index : int
        PortAudio device index.
    name : str
        Its name, as shown and as remembered in settings.
    channels : int
        Maximum input channels.
    default_rate : float
        The device's default sample rate in Hz.
    is_default : bool
        The system's default input.
    """

    index: int
    name: str
    channels: int
    default_rate: float
    is_default: bool


def list_input_devices() -> list[InputDevice]:
    """Every device with at least one input channel, the default first.

    Raises
    ------
    AudioDeviceError
        PortAudio is unavailable or fails to list devices.
    """
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0]
    except Exception as error:  # PortAudioError and friends
        raise AudioDeviceError(f"the sound system could not list devices ({error})") from error
    found = [
        InputDevice(
            index=int(info.get("index", i)),
            name=str(info["name"]),
            channels=int(info["max_input_channels"]),
            default_rate=float(info["default_samplerate"]),
            is_default=int(info.get("index", i)) == default_in,
        )
        for i, info in enumerate(devices)
        if int(info["max_input_channels"]) > 0
    ]
    found.sort(key=lambda d: not d.is_default)
    return found
