"""The chart in a report: completion per unit as a horizontal bar chart (matplotlib, PNG)."""

from __future__ import annotations

import io

from kehoach.documents.report_document import pct_text

CHART_MAX_UNITS = 60


def chart_png(bars: list[tuple[float, str]]) -> bytes:
    """A horizontal bar chart of ``(completion %, unit name)``, lowest first, as PNG bytes.

    Lowest first because the report is read to find who lags; beyond 60 children only the
    60 lowest are drawn (the title says so), as more bars would not fit a page. Output is
    byte-for-byte the same for the same input (no timestamps or version in the PNG), so
    rendered reports can be compared by hash.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = sorted(bars)
    title = "Tỷ lệ hoàn thành nhiệm vụ của các đơn vị trực thuộc (%)"
    if len(bars) > CHART_MAX_UNITS:
        title = (
            f"Tỷ lệ hoàn thành nhiệm vụ (%): {CHART_MAX_UNITS} đơn vị thấp nhất "
            f"trong tổng số {len(bars)} đơn vị"
        )
        bars = bars[:CHART_MAX_UNITS]
    n = max(len(bars), 1)
    # A bar per 0.3 in up to 25 units, then thinner bars, so the picture (150 mm wide in
    # the document) stays under ~210 mm tall with 60 units.
    per_bar = min(0.3, 7.6 / n)
    font = min(9.0, max(6.0, per_bar * 72 * 0.75))
    # parse_math off: a "$" in a unit's name is printed, not read as a formula.
    with plt.rc_context(
        {"font.family": "DejaVu Sans", "font.size": font, "text.parse_math": False}
    ):
        # Constrained layout makes room for the names and centres the title on the figure
        # (over the axes alone it runs off the right edge).
        height = max(1.8, 1.0 + per_bar * n)
        fig, ax = plt.subplots(figsize=(6.3, height), layout="constrained")
        try:
            names = [_wrap(name) for _, name in bars]
            values = [v for v, _ in bars]
            ys = list(range(len(bars)))
            ax.barh(ys, values, height=0.65, color="#2f5d8a")
            ax.set_yticks(ys, names)
            ax.set_ylim(n - 0.4, -0.6)  # lowest at the top, little padding
            ax.set_xlim(0, 112)
            ax.set_xticks([0, 20, 40, 60, 80, 100])
            ax.xaxis.grid(True, color="#cccccc", linewidth=0.6)
            ax.set_axisbelow(True)
            for y, v in zip(ys, values, strict=True):
                ax.text(v + 1, y, pct_text(v), va="center", fontsize=font)
            if not bars:
                ax.set_yticks([])
                ax.text(50, 0, "Không có đơn vị trực thuộc", ha="center", va="center")
            fig.suptitle(title, fontsize=font + 1, fontweight="bold")
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
        finally:
            plt.close(fig)
    return buf.getvalue()


def _wrap(name: str, width: int = 34) -> str:
    """Long unit names on two lines, so the bars keep their room."""
    if len(name) <= width:
        return name
    cut = name.rfind(" ", 0, width)
    if cut <= 0:
        return name
    return f"{name[:cut]}\n{name[cut + 1 :]}"
