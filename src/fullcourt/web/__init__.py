"""The read-only dashboard served by `fullcourt web`: coverage heatmap, runs, gaps, predictions.

`app.create_app(home)` builds the Starlette app; `app.serve` runs it with uvicorn. Pages
and their `/api/` JSON read the home through `view.HomeView` and never write to it.
"""
