#!/usr/bin/env python3
"""Makes a report page from the template and a run's data, exactly as the C++ side does.

Usage: fill_template.py TEMPLATE DATA.json OUT.html

common/src/trace/report.cpp (report_page) replaces the first occurrence of the marker
/*TLSLAB_REPORT_DATA*/ with the data, writing every "<", ">" and "&" as \\u003c, \\u003e and \\u0026
and U+2028/U+2029 as \\u2028/\\u2029, so that the data can neither end its
<script type="application/json"> element early nor put the tokenizer into its "<!--<script"
double-escaped state (JSON reads each escape back as the character).
DATA.json may also be a report page: its data element is taken out first, so the data of a run
made with an older template can be shown with the current one.
"""
import json
import sys

MARKER = "/*TLSLAB_REPORT_DATA*/"
DATA_OPEN = '<script type="application/json" id="tlslab-data">'


SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_safe(data_json):
    return "".join(SCRIPT_SAFE.get(c, c) for c in data_json)


def fill(template, data_json):
    at = template.find(MARKER)
    if at < 0:
        raise ValueError("the template has no data marker")
    return template[:at] + script_safe(data_json) + template[at + len(MARKER):]


def data_of_page(page):
    """The data JSON a report page carries (as the C++ wrote it, its escapes read back)."""
    start = page.index(DATA_OPEN) + len(DATA_OPEN)
    end = page.index("</script>", start)
    return json.dumps(json.loads(page[start:end]), separators=(",", ":"))


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        template = f.read()
    with open(argv[2], encoding="utf-8") as f:
        data = f.read()
    if data.lstrip().startswith("<"):
        data = data_of_page(data)
    else:
        json.loads(data)  # fail here, not in the browser, on a file that is not JSON
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(fill(template, data.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
