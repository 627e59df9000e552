"""The web pages of ims: Jinja2 templates, folium map builders and static assets."""
