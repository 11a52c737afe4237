"""Flow timeline: view model, painted widget and the screen (phases run through `core.pipeline`)."""
