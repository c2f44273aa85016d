"""The run report: one self-contained HTML file (plotly inline, no CDN), each chart also as CSV and PNG."""
