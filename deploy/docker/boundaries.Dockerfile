# The city's boundary files as a tiny image the chart's init container copies from
# (city.boundaries.source: image; too big for a ConfigMap). Context: the boundaries folder.
#   docker build -f deploy/docker/boundaries.Dockerfile -t aduan-boundaries-jakarta:2024 ../shared/data/jakarta
FROM busybox:1.37
COPY *.geojson /boundaries/
USER 10001:10001
