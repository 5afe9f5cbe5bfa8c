"""Qt-free state models that the GUI's views subscribe to (napari's components/ vs _qt/ split)."""
