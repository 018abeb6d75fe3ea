"""The HTML shell of the single-page app and the static files."""
