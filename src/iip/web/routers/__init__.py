"""One router per resource (API) plus the dashboard pages and the local static assets."""
