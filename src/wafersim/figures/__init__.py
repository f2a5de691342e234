"""Figures: what a chart shows, as data (`figure.Chart`), drawn by matplotlib into PNG/SVG files or
by the charting library into the HTML report."""
