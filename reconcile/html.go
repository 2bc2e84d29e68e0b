package reconcile

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
)

// The HTML report is one self-contained file: inline CSS, inline SVG charts
// drawn here (so they show even where scripts are blocked, as in many mail
// clients) and a small inline script that makes tables sortable, shows the
// charts' values on hover and, once it has checked the charts, sets the
// page title to "… ✓" (tests use it to know the page ran without errors).
// It loads nothing from the network.

var statusColors = map[string]string{
	schema.StatusNew: "#9aa5b1", schema.StatusContacting: "#7cb4e8", schema.StatusQualifying: "#4f94d4",
	schema.StatusApplication: "#2f6fb5", schema.StatusApproved: "#7c5cc4", schema.StatusFunded: "#2e9e5b",
	schema.StatusDeclined: "#d64545", schema.StatusLost: "#e08a3c", schema.StatusExpired: "#b9a26a",
}

var vendorPalette = []string{"#2f6fb5", "#2e9e5b", "#e08a3c", "#7c5cc4", "#d64545", "#3aa6a6", "#b9a26a"}

type svgBar struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

type svgText struct {
	X, Y   float64
	Anchor string
	Text   string
}

type svgChart struct {
	ID     string
	Title  string
	Width  int
	Height int
	Bars   []svgBar
	Texts  []svgText
	Lines  []svgBar // axis lines as thin rects
	Legend []legendItem
	Empty  string
}

type legendItem struct{ Color, Label string }

func (r *Report) funnelChart() svgChart {
	c := svgChart{ID: "funnel", Title: "Funnel, month to date: leads created by current status", Width: 560, Height: 40 + 26*len(schema.Statuses)}
	var all *Funnel
	for i := range r.Funnel {
		if r.Funnel[i].Period == "mtd" && r.Funnel[i].Vendor == Total {
			all = &r.Funnel[i]
		}
	}
	if all == nil || all.Total == 0 {
		c.Empty = "No leads were created in the month."
		return c
	}
	maxN := 0
	for _, st := range schema.Statuses {
		maxN = max(maxN, all.Counts[st])
	}
	const left, barMax = 100.0, 380.0
	for i, st := range schema.Statuses {
		y := 20 + float64(i)*26
		n := all.Counts[st]
		w := 0.0
		if maxN > 0 {
			w = barMax * float64(n) / float64(maxN)
		}
		if n > 0 && w < 2 {
			w = 2
		}
		c.Texts = append(c.Texts, svgText{X: left - 8, Y: y + 14, Anchor: "end", Text: st})
		c.Bars = append(c.Bars, svgBar{X: left, Y: y, W: w, H: 18, Color: statusColors[st],
			Title: fmt.Sprintf("%s: %d of %d leads (%s)", st, n, all.Total, percent(n, all.Total))})
		c.Texts = append(c.Texts, svgText{X: left + w + 6, Y: y + 14, Anchor: "start", Text: fmt.Sprintf("%d (%s)", n, percent(n, all.Total))})
	}
	return c
}

// fundedCharts draws one chart per currency (amounts of different
// currencies never share an axis): funded amount per day of the month,
// stacked by vendor.
func (r *Report) fundedCharts() []svgChart {
	mtd := r.Periods[1]
	var days []string
	for d := mtd.From; d.Before(mtd.To); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006-01-02"))
	}
	byCur := map[string][]FundedDay{}
	var vendors []string
	for _, d := range r.FundedByDay {
		byCur[d.Currency] = append(byCur[d.Currency], d)
		if !containsStr(vendors, d.Vendor) {
			vendors = append(vendors, d.Vendor)
		}
	}
	sort.Strings(vendors)
	color := map[string]string{}
	for i, v := range vendors {
		color[v] = vendorPalette[i%len(vendorPalette)]
	}
	curs := make([]string, 0, len(byCur))
	for c := range byCur {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	if len(curs) == 0 {
		return []svgChart{{ID: "funded-none", Title: "Funded by day, month to date", Width: 560, Height: 60, Empty: "No loans were funded in the month."}}
	}
	var out []svgChart
	for _, cur := range curs {
		const left, top, plotH = 90.0, 20.0, 180.0
		plotW := 460.0
		c := svgChart{ID: "funded-" + strings.ToLower(cur), Title: "Funded by day, month to date (" + cur + ")", Width: int(left + plotW + 20), Height: int(top + plotH + 50)}
		total := map[string]int64{}
		for _, d := range byCur[cur] {
			total[d.Day] += d.Principal
		}
		var maxV int64
		for _, v := range total {
			maxV = max(maxV, v)
		}
		if maxV == 0 {
			maxV = 1
		}
		slot := plotW / float64(len(days))
		bw := slot * 0.7
		stackAt := map[string]float64{}
		for _, v := range vendors {
			for _, d := range byCur[cur] {
				if d.Vendor != v {
					continue
				}
				i := indexOf(days, d.Day)
				if i < 0 {
					continue
				}
				h := plotH * float64(d.Principal) / float64(maxV)
				if d.Principal > 0 && h < 1 {
					h = 1
				}
				y := top + plotH - stackAt[d.Day] - h
				stackAt[d.Day] += h
				c.Bars = append(c.Bars, svgBar{X: left + float64(i)*slot + (slot-bw)/2, Y: y, W: bw, H: h, Color: color[v],
					Title: fmt.Sprintf("%s %s: %d loans, %s", d.Day, v, d.Loans, Money{d.Principal, cur})})
			}
		}
		c.Lines = append(c.Lines, svgBar{X: left, Y: top + plotH, W: plotW, H: 1, Color: "#555"}, svgBar{X: left, Y: top, W: 1, H: plotH, Color: "#555"})
		c.Texts = append(c.Texts, svgText{X: left - 6, Y: top + 4, Anchor: "end", Text: groupCents(maxV)},
			svgText{X: left - 6, Y: top + plotH, Anchor: "end", Text: "0"})
		for i, d := range days {
			if i == 0 || i == len(days)-1 || (i+1)%5 == 0 {
				c.Texts = append(c.Texts, svgText{X: left + float64(i)*slot + slot/2, Y: top + plotH + 16, Anchor: "middle", Text: d[8:]})
			}
		}
		for _, v := range vendors {
			for _, d := range byCur[cur] {
				if d.Vendor == v {
					c.Legend = append(c.Legend, legendItem{Color: color[v], Label: v})
					break
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func containsStr(s []string, v string) bool { return indexOf(s, v) >= 0 }

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

type htmlPage struct {
	R       *Report
	Made    string
	Summary string
	Bad     bool
	Funnel  svgChart
	FundedC []svgChart
	Tables  []table
}

// HTML is the self-contained report page.
func (r *Report) HTML() ([]byte, error) {
	p := htmlPage{R: r, Made: r.AsOf.In(r.Periods[0].From.Location()).Format(time.RFC1123), Summary: r.ExceptionSummary(),
		Bad: len(r.Exceptions) > 0, Funnel: r.funnelChart(), FundedC: r.fundedCharts(), Tables: r.tables()}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render html report: %w", err)
	}
	return buf.Bytes(), nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"f": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>leadpipe reconciliation {{.R.Day}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:24px auto;max-width:1180px;padding:0 16px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e4e7eb;padding-bottom:4px}
.meta{color:#52606d;margin:0 0 12px}
.banner{padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}
.banner.ok{background:#e3f9e5;color:#0e5e26}.banner.bad{background:#ffe3e3;color:#8a1c1c}
table{border-collapse:collapse;width:100%;margin:6px 0 4px;font-size:12px}
th,td{padding:3px 5px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f5f7fa;cursor:pointer;user-select:none;vertical-align:bottom;font-weight:600;hyphens:auto}
td.r,th.r{text-align:right}
td.r{font-variant-numeric:tabular-nums;white-space:nowrap}
td.w{overflow-wrap:anywhere}
td.bad{color:#b42318;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:24px}
.chart{border:1px solid #e4e7eb;border-radius:6px;padding:8px;max-width:100%;box-sizing:border-box}
.chart svg{max-width:100%;height:auto}
.chart h3{font-size:14px;margin:0 0 4px}
.chart rect.bar:hover{opacity:.75}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
#tip{position:fixed;pointer-events:none;background:#1f2933;color:#fff;padding:3px 7px;border-radius:4px;font-size:12px;display:none}
.empty{color:#7b8794;font-style:italic}
@page{size:A4 portrait;margin:12mm}
@media print{
body{margin:0;max-width:none;padding:0;font-size:10px}
h1{font-size:16px}h2{font-size:12px;margin:14px 0 4px;break-after:avoid}
table{font-size:9px}th,td{padding:1px 2px}
td.r{white-space:normal;overflow-wrap:anywhere}
.charts{gap:8px}.chart{break-inside:avoid}
tr{break-inside:avoid}
#tip{display:none}
}
</style>
</head>
<body>
<h1>leadpipe reconciliation {{.R.Day}}</h1>
<p class="meta">Day {{(index .R.Periods 0).Label}} and month to date {{(index .R.Periods 1).Label}} ({{.R.Timezone}}). Made {{.Made}} from {{.R.Lake}} ({{.R.LakeFiles}} files) and the push ledger.</p>
<div class="banner {{if .Bad}}bad{{else}}ok{{end}}" id="summary">{{.Summary}}</div>

<h2>Charts</h2>
<div class="charts">
{{template "chart" .Funnel}}
{{range .FundedC}}{{template "chart" .}}{{end}}
</div>
{{range .Tables}}
<h2>{{.Title}}</h2>
{{if .Intro}}<p class="meta">{{.Intro}}</p>{{end}}
{{if .Rows}}{{template "table" .}}{{else}}<p class="empty">{{.Empty}}</p>{{end}}
{{if .After}}<p class="meta">{{.After}}</p>{{end}}
{{end}}
{{if .R.Notes}}<h2>Notes</h2><ul>{{range .R.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<div id="tip"></div>
<script>
(function(){
  "use strict";
  window.addEventListener("error", function(e){ document.title = "ERROR: " + e.message; });
  // #print lays the page out with its print rules (the tests check the A4
  // layout this way: a print preview cannot be measured).
  if (location.hash === "#print") {
    var css = "";
    Array.prototype.forEach.call(document.styleSheets, function(sh){
      Array.prototype.forEach.call(sh.cssRules, function(r){
        if (r.media && r.media.mediaText === "print") {
          Array.prototype.forEach.call(r.cssRules, function(x){ css += x.cssText + "\n"; });
        }
      });
    });
    var st = document.createElement("style"); st.textContent = css; document.head.appendChild(st);
  }
  var tip = document.getElementById("tip");
  document.querySelectorAll("svg rect.bar").forEach(function(r){
    r.addEventListener("mousemove", function(ev){ tip.textContent = r.getAttribute("data-tip"); tip.style.display = "block";
      tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px"; });
    r.addEventListener("mouseleave", function(){ tip.style.display = "none"; });
  });
  document.querySelectorAll("table.sortable").forEach(function(t){
    t.querySelectorAll("th").forEach(function(th, i){
      th.addEventListener("click", function(){
        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
        th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
        rows.sort(function(a, b){
          var x = a.cells[i].getAttribute("data-sort") || a.cells[i].textContent;
          var y = b.cells[i].getAttribute("data-sort") || b.cells[i].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          if (!isNaN(nx) && !isNaN(ny)) { return (nx - ny) * dir; }
          return x.localeCompare(y) * dir;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
  // Layout: no table may be wider than the page's column (no column may
  // hide behind a scrollbar or off a printed page).
  var over = [];
  document.querySelectorAll("table").forEach(function(t){
    var room = t.parentElement.clientWidth;
    if (t.scrollWidth > room) { over.push(t.id + " " + t.scrollWidth + ">" + room); }
  });
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth) {
    over.push("page " + document.documentElement.scrollWidth + ">" + document.documentElement.clientWidth);
  }
  document.body.setAttribute("data-layout", over.length ? "overflow: " + over.join(", ") : "fits " + document.documentElement.clientWidth);
  var charts = document.querySelectorAll("svg.chart-svg");
  var drawn = 0;
  charts.forEach(function(s){ var bb = s.getBBox(); if (bb.width > 0 && bb.height > 0) { drawn++; } });
  if (charts.length > 0 && drawn === charts.length) {
    document.title = document.title + " \u2713";
    document.body.setAttribute("data-ready", String(drawn));
  } else {
    document.title = "ERROR: " + (charts.length - drawn) + " of " + charts.length + " charts did not render";
  }
})();
</script>
</body>
</html>
{{define "chart"}}<div class="chart" id="chart-{{.ID}}"><h3>{{.Title}}</h3>
<svg class="chart-svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
{{if .Empty}}<text x="10" y="30" fill="#7b8794" font-size="13">{{.Empty}}</text>{{end}}
{{range .Lines}}<rect x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" fill="{{.Color}}"/>{{end}}
{{range .Bars}}<rect class="bar" x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" fill="{{.Color}}" data-tip="{{.Title}}"><title>{{.Title}}</title></rect>{{end}}
{{range .Texts}}<text x="{{f .X}}" y="{{f .Y}}" text-anchor="{{.Anchor}}" font-size="12" fill="#323f4b">{{.Text}}</text>{{end}}
</svg>
{{if .Legend}}<div class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Label}}</span>{{end}}</div>{{end}}
</div>{{end}}
{{define "table"}}<table class="sortable" id="t-{{.ID}}"><thead><tr>{{range .Cols}}<th{{if .Right}} class="r"{{end}}>{{.Name}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}{{with index $.Cols $i}}<td class="{{if .Right}}r {{end}}{{if .Wide}}w {{end}}{{$c.Class}}"{{if $c.Sort}} data-sort="{{$c.Sort}}"{{end}}>{{$c.Text}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table>{{end}}
`
