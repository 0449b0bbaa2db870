"""The app shell, on top of every layer: the FastAPI application, the home page and dashboards."""
