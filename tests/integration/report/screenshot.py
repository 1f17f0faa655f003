"""Make docs/img/report.png: a real game day (virtual time) rendered and photographed in Chromium.

Run: python -m tests.integration.report.screenshot [OUTPUT.png]
"""

import json
import sys
import tempfile
from pathlib import Path

from chaoslab.report import write_report
from tests.integration.report._browser import chromium
from tests.integration.report._gameday import run_gameday


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        journal, base = folder / "journal.json", folder / "baseline.json"
        journal.write_text(json.dumps(run_gameday(rail=True)), encoding="utf-8")
        base.write_text(json.dumps(run_gameday(latency=0.05)), encoding="utf-8")
        html, _, _ = write_report(journal, folder / "report.html", baseline=base)
        with chromium() as browser:
            tab = browser.new_page(viewport={"width": 1100, "height": 1200}, device_scale_factor=1)
            tab.goto(html.resolve().as_uri())
            output.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(output), clip={"x": 0, "y": 0, "width": 1100, "height": 1200})
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/report.png"))
