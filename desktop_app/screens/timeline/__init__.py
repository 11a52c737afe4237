"""Flow timeline: view model, painted widget, phase runners and the screen."""
