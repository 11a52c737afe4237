"""Mapping review: model, proxy, delegates, undo commands, target picker and the screen widget."""
