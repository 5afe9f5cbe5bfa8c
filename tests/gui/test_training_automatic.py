"""The Training tab's *Automatic* model: the default, it says what the scanned folder gets; a chosen family wins."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests import audio_factory

pytestmark = pytest.mark.gui


def test_automatic_shows_the_family_the_folder_gets_and_a_remembered_choice_wins(make_window, tiny_bundle_path,
                                                                                settings, tmp_path, qtbot):
    from training.families import AUTO_FAMILY
    from training.split import SMALL_FOLDER_SONGS
    from urdu_genre_app.gui import settings as S

    few = audio_factory.write_labeled_folder(tmp_path / "few songs", songs_per_genre=3, seconds=1.0, seed=80)
    many = audio_factory.write_labeled_folder(tmp_path / "many songs", songs_per_genre=SMALL_FOLDER_SONGS,
                                              seconds=1.0, seed=90)
    window = make_window(tiny_bundle_path, wait_charts=False)
    window.show_training_action.trigger()
    tab = window.training_widget
    combo = tab.model_combo
    assert combo.currentData() == AUTO_FAMILY and combo.currentText() == "Automatic"

    tab.set_dataset(str(few))
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=120_000)
    assert combo.currentData() == AUTO_FAMILY and combo.currentText() == "Automatic: musicnn transfer (MSD)"
    assert "small folder (3 songs" in combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
    config = tab.build_config()
    assert config.models == (AUTO_FAMILY,) and config.name == "musicnn transfer (MSD) on few songs"

    tab.set_dataset(str(many))
    qtbot.waitUntil(lambda: tab.scan is not None and len(tab.scan.songs) == 4 * SMALL_FOLDER_SONGS, timeout=120_000)
    assert combo.currentText() == "Automatic: BN-CNN"

    # Starting a run remembers the form: Automatic is stored as such, and a family the user picked stays picked.
    tab.form_view.remember(settings)
    assert settings.get(S.TRAIN_MODEL) == AUTO_FAMILY
    combo.setCurrentIndex(combo.findData("logreg"))
    tab.form_view.remember(settings)
    again = make_window(tiny_bundle_path, wait_charts=False).training_widget
    assert again.model_combo.currentData() == "logreg" and again.build_config().models == ("logreg",)


def test_a_family_stored_before_automatic_existed_does_not_hide_it(make_window, tiny_bundle_path, settings):
    """Every run stored the list's choice under "training/model", the old default "bn_cnn" for most users."""
    from training.families import AUTO_FAMILY

    settings.store.setValue("training/model", "bn_cnn")
    tab = make_window(tiny_bundle_path, wait_charts=False).training_widget
    assert tab.model_combo.currentData() == AUTO_FAMILY
