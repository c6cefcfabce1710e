"""One router per resource; each route is a few lines over a library function."""
