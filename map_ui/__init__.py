"""The web pages of ims: Jinja2 templates, map specifications and static assets."""
