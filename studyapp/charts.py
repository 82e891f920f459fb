"""Charts drawn on the server as inline SVG with pygal. No Flask imports.

The SVG loads nothing from anywhere: pygal's JavaScript (tooltips, from a CDN by default) is
off (``js=[]``), and the small inline ``<script>`` with pygal's configuration that pygal
always writes, and its comments naming its web site, are taken out of the tree before it
is serialised. Every chart has a text alternative on its page (a table of the same data).

Under the Content Security Policy (``studyapp.csp``) the chart's ``<style>`` element, whose
rules pygal scopes to the chart's random id, applies only with the page's nonce: pass
``style_nonce``. The tooltip group, the only element with a ``style=`` attribute (which no
nonce allows), is dropped: without pygal's script it never shows.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pygal
from pygal.style import Style

CHART_STYLE = Style(
    background="transparent", plot_background="transparent",
    foreground="#212529", foreground_strong="#212529", foreground_subtle="#6c757d",
    colors=("#0d6efd",), font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13, major_label_font_size=13, title_font_size=16, value_font_size=12,
)
"""Bootstrap's primary blue on the page's background, dark text (contrast above 4.5:1)."""


def _offline(style_nonce: str | None = None):
    """Return a pygal ``xml_filter`` that drops every ``<script>`` element, every comment and the
    tooltip group from the SVG tree, and puts ``style_nonce`` (if any) on its ``<style>``."""

    def clean(root):
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
                if tag == "script" or not tag or "tooltip-overlay" in (child.get("class") or "").split():
                    parent.remove(child)
                elif tag == "style" and style_nonce:
                    child.set("nonce", style_nonce)
        return root

    return clean


def score_chart_svg(attempts: list, tz_name: str = "UTC", *, style_nonce: str | None = None) -> str | None:
    """Return an SVG line chart of score (percent 0-100) per submitted attempt over time.

    Args:
        attempts: submitted attempts with ``submitted_at`` (naive UTC), ``score_percent`` and
            ``bank`` (any order).
        tz_name: IANA time zone in which the dates on the x axis are shown (unknown: UTC).
        style_nonce: the page's CSP nonce for the chart's ``<style>`` element.
    Returns:
        The ``<svg>`` element as text (no XML declaration, no script, no external reference),
        or None without any attempt.
    """
    points = sorted((a for a in attempts if a.submitted_at is not None), key=lambda a: (a.submitted_at, a.id))
    if not points:
        return None
    try:
        tz = ZoneInfo(tz_name)
    except Exception:  # noqa: BLE001 - any bad name: UTC
        tz = ZoneInfo("UTC")

    def local(when: datetime) -> datetime:
        return when.replace(tzinfo=timezone.utc).astimezone(tz)

    chart = pygal.Line(
        js=[], disable_xml_declaration=True, style=CHART_STYLE,
        title="Score per attempt (%)", show_legend=False, range=(0, 100), include_x_axis=True,
        y_labels=[0, 25, 50, 75, 100], width=800, height=280, explicit_size=False,
        x_label_rotation=0, show_minor_x_labels=len(points) <= 12,
        x_labels_major_every=max(1, len(points) // 6), truncate_label=-1, dots_size=4,
        margin=10, spacing=12,
    )
    chart.add_xml_filter(_offline(style_nonce))
    chart.x_labels = [local(a.submitted_at).strftime("%d %b") for a in points]
    chart.add("Score", [
        {"value": round(a.score_percent or 0.0, 1),
         "label": f"{a.bank.title}, {local(a.submitted_at).strftime('%Y-%m-%d %H:%M')}"}
        for a in points
    ])
    return chart.render(is_unicode=True)


def bar_chart_svg(title: str, labels: list[str], values: list[int], *, x_title: str = "",
                  y_title: str = "", style_nonce: str | None = None) -> str | None:
    """Return an SVG bar chart of whole counts, one bar per label.

    Args:
        title: the chart's title.
        labels: the x-axis labels (one per bar).
        values: the counts (non-negative integers), one per label.
        x_title, y_title: axis titles.
        style_nonce: the page's CSP nonce for the chart's ``<style>`` element.
    Returns:
        The ``<svg>`` element as text (no XML declaration, no script, no external reference),
        or None when every count is zero (the page says so in words instead).
    """
    if not any(values):
        return None
    top = max(values)
    step = max(1, -(-top // 5))  # at most about six whole-number gridlines
    chart = pygal.Bar(
        js=[], disable_xml_declaration=True, style=CHART_STYLE, title=title, show_legend=False,
        x_title=x_title or None, y_title=y_title or None, range=(0, step * -(-top // step)),
        y_labels=list(range(0, step * -(-top // step) + 1, step)), width=800, height=280,
        explicit_size=False, x_label_rotation=0, truncate_label=-1, margin=10, spacing=12,
        print_values=False,
    )
    chart.add_xml_filter(_offline(style_nonce))
    chart.x_labels = labels
    chart.add(title, [{"value": v, "label": f"{lab}: {v}"} for lab, v in zip(labels, values)])
    return chart.render(is_unicode=True)
