"""smkit's own pages: server-rendered (Jinja2) on the API's app, every asset in the package."""
