"""The recording journal (sidecar), unfinished-recording search and WAV header repair (no Qt)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import soundfile

from urdu_genre_app.core.recording import (
    COMPLETE,
    Gap,
    RecordingJournal,
    find_unfinished,
    gaps_summary,
    journal_for,
    repair_wav_header,
)


def _wav(path, frames, rate=8000):
    samples = (np.sin(np.arange(frames) / 7.0) * 20_000).astype(np.int16)
    soundfile.write(path, samples, rate, format="WAV", subtype="PCM_16")
    return samples


def _set_data_size(path, size):
    raw = bytearray(path.read_bytes())
    at = raw.index(b"data")
    struct.pack_into("<I", raw, at + 4, size)
    path.write_bytes(bytes(raw))


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_repair_counts_every_whole_frame_and_drops_a_torn_one(tmp_path):
    path = tmp_path / "r.wav"
    samples = _wav(path, 1000)
    _set_data_size(path, 0)  # a header never updated
    with open(path, "ab") as stream:
        stream.write(b"\x01")  # half a frame: the write the kill tore
    assert soundfile.info(path).frames == 0
    assert repair_wav_header(path) == 1000
    data, _ = soundfile.read(path, dtype="int16")
    assert np.array_equal(data, samples)
    _set_data_size(path, 0xFFFFFFFF)  # a header claiming more than the file holds
    assert repair_wav_header(path) == 1000 and soundfile.info(path).frames == 1000


def test_repair_refuses_what_is_not_a_wav(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"not audio at all" * 10)
    try:
        repair_wav_header(path)
    except ValueError as error:
        assert "x.wav" in str(error)
    else:
        raise AssertionError("no error")


def test_only_recordings_left_open_by_a_dead_process_are_unfinished(tmp_path):
    journals = {}
    for name, state, pid in (("dead", "recording", _dead_pid()), ("alive", "recording", os.getpid()),
                             ("done", COMPLETE, _dead_pid())):
        audio = tmp_path / f"{name}.wav"
        _wav(audio, 100)
        journal = RecordingJournal.begin(audio, sample_rate=8000, device="mic", flush_seconds=0.25)
        journal.state, journal.pid = state, pid
        journal.gaps = [Gap(1.5, 0.4)]
        journal.save()
        journals[name] = journal
    (tmp_path / "old.wav").write_bytes(b"")  # a recording from before journals: never offered
    (tmp_path / "broken.wav.json").write_text("{not json")
    found = find_unfinished(tmp_path)
    assert [j.audio_path.name for j in found] == ["dead.wav"]
    assert found[0].gaps == [Gap(1.5, 0.4)] and journal_for(tmp_path / "dead.wav").device == "mic"
    assert gaps_summary(found[0].gaps + [Gap(3.0, 0.1)]) == "2 gaps, 0.5 s lost"
