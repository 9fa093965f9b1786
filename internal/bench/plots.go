package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// systemColors are the colours of the systems in plots.
var systemColors = map[string]string{
	sysDirect:        "#4c72b0",
	sysSSEGW:         "#dd8452",
	sysSSERaw:        "#c44e52",
	sysSSEClient:     "#e8b98f",
	sysSSEGWCompiled: "#8c613c",
	sysGRPCGW:        "#55a868",
	sysFloor:         "#999999",
	sysCentrifugo:    "#8172b3",
}

// systemOrder is the order of the systems in plots.
var systemOrder = []string{sysDirect, sysSSEGW, sysSSERaw, sysSSEClient, sysSSEGWCompiled, sysGRPCGW, sysFloor, sysCentrifugo}

// WritePlots writes throughput.svg (T1), latency.svg (T2), density.svg
// (T3) and fanout.svg (T5) into dir, for the scenarios the report has, and
// returns the files written.
func (r *Report) WritePlots(dir string) ([]string, error) {
	var files []string
	write := func(name string, svg []byte) error {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			return err
		}
		files = append(files, path)
		return nil
	}
	if len(r.T1) > 0 {
		if err := write("throughput.svg", r.throughputPlot()); err != nil {
			return files, err
		}
	}
	if len(r.T2) > 0 {
		if err := write("latency.svg", r.latencyPlot()); err != nil {
			return files, err
		}
	}
	if len(r.T3) > 0 {
		if err := write("density.svg", r.densityPlot()); err != nil {
			return files, err
		}
	}
	if len(r.T5) > 0 {
		if err := write("fanout.svg", r.fanoutPlot()); err != nil {
			return files, err
		}
	}
	return files, nil
}

// svg builds an SVG document.
type svg struct {
	bytes.Buffer
}

func newSVG(w, h int) *svg {
	s := &svg{}
	fmt.Fprintf(s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(s, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	return s
}

func (s *svg) text(x, y float64, anchor, extra, text string) {
	fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>`, x, y, anchor, extra)
	_ = xml.EscapeText(s, []byte(text))
	s.WriteString("</text>\n")
}

func (s *svg) line(x1, y1, x2, y2 float64, style string) {
	fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" %s/>`+"\n", x1, y1, x2, y2, style)
}

func (s *svg) rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, w, h, fill)
}

// legend draws a legend of the systems that are in ids, from (x, y).
func (s *svg) legend(x, y float64, ids []string) {
	for i, id := range ids {
		yy := y + float64(i)*18
		s.rect(x, yy-10, 12, 12, systemColors[id])
		s.text(x+18, yy, "start", "", systemNames[id])
	}
}

// frame draws a plot's axes around the area at (left, top) of pw × ph,
// its vertical axis's label and the legend of ids to its right.
func (s *svg) frame(left, top, pw, ph float64, yLabel string, ids []string) {
	s.line(left, top+ph, left+pw, top+ph, `stroke="black"`)
	s.line(left, top, left, top+ph, `stroke="black"`)
	s.text(18, top+ph/2, "middle", fmt.Sprintf(`transform="rotate(-90 18 %.1f)"`, top+ph/2), yLabel)
	s.legend(left+pw+20, top+10, ids)
}

func (s *svg) done() []byte {
	s.WriteString("</svg>\n")
	return s.Bytes()
}

// present returns the systems of systemOrder for which has is true.
func present(has func(id string) bool) []string {
	var ids []string
	for _, id := range systemOrder {
		if has(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// niceStep returns a round tick step for a range of span with about n
// ticks.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// shortCount formats a count as 12k or 1.2M.
func shortCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.0fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// throughputPlot draws T1: events per second by message size, a bar per
// system at the median, and a whisker over the range of the runs.
func (r *Report) throughputPlot() []byte {
	const w, h = 720, 400
	const left, right, top, bottom = 70.0, 190.0, 40.0, 50.0
	pw, ph := w-left-right, h-top-bottom
	var sizes []int
	maxRate := 0.0
	for _, t := range r.T1 {
		if !slices.Contains(sizes, t.Size) {
			sizes = append(sizes, t.Size)
		}
		maxRate = max(maxRate, t.EventsPerSec, t.EventsPerSecMax)
	}
	ids := present(func(id string) bool {
		return slices.ContainsFunc(r.T1, func(t Throughput) bool { return t.System == id })
	})
	step := niceStep(maxRate*1.1, 5)
	top1 := math.Ceil(maxRate*1.1/step) * step
	y := func(v float64) float64 { return top + ph - v/top1*ph }

	s := newSVG(w, h)
	s.text(w/2-right/2+left/2, 22, "middle", `font-size="14" font-weight="bold"`, "T1 throughput: one stream, events per second (median, range)")
	for v := 0.0; v <= top1+step/2; v += step {
		s.line(left, y(v), left+pw, y(v), `stroke="#ddd"`)
		s.text(left-6, y(v)+4, "end", "", shortCount(v))
	}
	groupW := pw / float64(len(sizes))
	barW := groupW * 0.8 / float64(len(ids))
	for gi, size := range sizes {
		gx := left + float64(gi)*groupW + groupW*0.1
		for bi, id := range ids {
			t := find(r.T1, func(t Throughput) bool { return t.System == id && t.Size == size })
			x := gx + float64(bi)*barW
			s.rect(x+1, y(t.EventsPerSec), barW-2, y(0)-y(t.EventsPerSec), systemColors[id])
			label := y(t.EventsPerSec)
			if t.EventsPerSecMax > t.EventsPerSecMin {
				cx := x + barW/2
				s.line(cx, y(t.EventsPerSecMin), cx, y(t.EventsPerSecMax), `stroke="black"`)
				s.line(cx-barW/4, y(t.EventsPerSecMax), cx+barW/4, y(t.EventsPerSecMax), `stroke="black"`)
				s.line(cx-barW/4, y(t.EventsPerSecMin), cx+barW/4, y(t.EventsPerSecMin), `stroke="black"`)
				label = min(label, y(t.EventsPerSecMax))
			}
			s.text(x+barW/2, label-4, "middle", `font-size="10"`, shortCount(t.EventsPerSec))
		}
		s.text(left+float64(gi)*groupW+groupW/2, top+ph+20, "middle", "", sizeName(size)+" messages")
	}
	s.frame(left, top, pw, ph, "events/s", ids)
	return s.done()
}

// latencyPlot draws T2: latency by percentile, on a scale of nines and a
// logarithmic time axis, a line per system.
func (r *Report) latencyPlot() []byte {
	const w, h = 720, 420
	const left, right, top, bottom = 70.0, 190.0, 40.0, 50.0
	pw, ph := w-left-right, h-top-bottom
	lo, hi := math.Inf(1), 0.0
	maxNines := 0.0
	nines := func(pct float64) float64 { return -math.Log10(1 - pct/100) }
	for _, l := range r.T2 {
		for _, pt := range l.Curve {
			if pt[1] > 0 {
				lo, hi = min(lo, pt[1]), max(hi, pt[1])
			}
			maxNines = max(maxNines, nines(pt[0]))
		}
	}
	if hi == 0 {
		lo, hi = 0.1, 1
	}
	// Ticks at 1, 2 and 5 times the powers of ten, from the last one
	// below the fastest sample to the first one above the slowest.
	var ticks []float64
	for e := math.Floor(math.Log10(lo)); len(ticks) == 0 || ticks[len(ticks)-1] < hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v > lo/5 {
				ticks = append(ticks, v)
			}
		}
	}
	for len(ticks) > 2 && ticks[1] <= lo {
		ticks = ticks[1:]
	}
	for len(ticks) > 2 && ticks[len(ticks)-2] >= hi {
		ticks = ticks[:len(ticks)-1]
	}
	ylo, yhi := math.Log10(ticks[0]), math.Log10(ticks[len(ticks)-1])
	xhi := math.Max(1, math.Ceil(maxNines-1e-6))
	x := func(n float64) float64 { return left + n/xhi*pw }
	y := func(ms float64) float64 { return top + ph - (math.Log10(ms)-ylo)/(yhi-ylo)*ph }

	s := newSVG(w, h)
	s.text(w/2-right/2+left/2, 22, "middle", `font-size="14" font-weight="bold"`,
		fmt.Sprintf("T2 latency by percentile: %d streams × %g messages/s", r.Config.T2Streams, r.Config.T2Rate))
	for _, v := range ticks {
		style := `stroke="#eee"`
		if m := v / math.Pow(10, math.Floor(math.Log10(v)+1e-9)); math.Abs(m-1) < 1e-9 {
			style = `stroke="#ccc"`
		}
		s.line(left, y(v), left+pw, y(v), style)
		s.text(left-6, y(v)+4, "end", "", strconv.FormatFloat(v, 'g', 3, 64))
	}
	for n := 0.0; n <= xhi; n++ {
		label := strconv.FormatFloat(100*(1-math.Pow(10, -n)), 'f', int(max(n-2, 0)), 64)
		s.line(x(n), top, x(n), top+ph, `stroke="#ccc"`)
		s.text(x(n), top+ph+18, "middle", "", label)
	}
	s.line(x(math.Log10(2)), top, x(math.Log10(2)), top+ph, `stroke="#eee"`)
	s.text(x(math.Log10(2)), top+ph+18, "middle", `fill="#777"`, "50")
	ids := present(func(id string) bool {
		return slices.ContainsFunc(r.T2, func(l Latency) bool { return l.System == id })
	})
	for _, id := range ids {
		l := find(r.T2, func(l Latency) bool { return l.System == id })
		var pts bytes.Buffer
		for _, pt := range l.Curve {
			if pt[1] <= 0 {
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(nines(pt[0])), y(pt[1]))
		}
		fmt.Fprintf(s, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", systemColors[id], bytes.TrimSpace(pts.Bytes()))
	}
	s.text(left+pw/2, top+ph+38, "middle", "", "percentile")
	s.frame(left, top, pw, ph, "ms, backend send → client receive", ids)
	return s.done()
}

// densityPlot draws T3: the gateway's memory per idle stream by HTTP
// version, a bar per gateway, split into heap, stacks and the rest of the
// RSS, with the target of each version.
func (r *Report) densityPlot() []byte {
	const w, h = 720, 400
	const left, right, top, bottom = 70.0, 190.0, 40.0, 50.0
	pw, ph := w-left-right, h-top-bottom
	var protos []string
	maxKiB := 0.0
	for _, d := range r.T3 {
		if !slices.Contains(protos, d.Protocol) {
			protos = append(protos, d.Protocol)
		}
		maxKiB = max(maxKiB, d.RSSPerStream/1024, (d.HeapPerStream+d.StackPerStream)/1024, densityTarget(d.Protocol)/1024)
	}
	ids := present(func(id string) bool {
		return slices.ContainsFunc(r.T3, func(d Density) bool { return d.System == id })
	})
	step := niceStep(maxKiB*1.1, 5)
	top1 := math.Ceil(maxKiB*1.1/step) * step
	y := func(v float64) float64 { return top + ph - v/top1*ph }

	s := newSVG(w, h)
	s.text(w/2-right/2+left/2, 22, "middle", `font-size="14" font-weight="bold"`,
		fmt.Sprintf("T3 density: gateway memory per idle stream, KiB (%d streams)", r.Config.T3Streams))
	for v := 0.0; v <= top1+step/2; v += step {
		s.line(left, y(v), left+pw, y(v), `stroke="#ddd"`)
		s.text(left-6, y(v)+4, "end", "", fmt.Sprintf("%g", v))
	}
	groupW := pw / float64(len(protos))
	barW := groupW * 0.8 / float64(len(ids))
	for gi, proto := range protos {
		gx := left + float64(gi)*groupW + groupW*0.1
		for bi, id := range ids {
			d := find(r.T3, func(d Density) bool { return d.System == id && d.Protocol == proto })
			if d.System == "" {
				continue
			}
			x := gx + float64(bi)*barW
			heap, stacks, rss := d.HeapPerStream/1024, d.StackPerStream/1024, d.RSSPerStream/1024
			s.rect(x+1, y(rss), barW-2, y(0)-y(rss), systemColors[id])
			fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" fill-opacity="0.35"/>`+"\n",
				x+1, y(heap+stacks), barW-2, y(heap)-y(heap+stacks))
			s.text(x+barW/2, y(rss)-4, "middle", `font-size="10"`, fmt.Sprintf("%.1f", rss))
		}
		label := map[string]string{"h1": "HTTP/1.1, a connection per stream", "h2": "HTTP/2, many streams per connection"}[proto]
		s.text(left+float64(gi)*groupW+groupW/2, top+ph+20, "middle", "", label)
		target := densityTarget(proto) / 1024
		s.line(left+float64(gi)*groupW, y(target), left+float64(gi+1)*groupW, y(target), `stroke="#c44e52" stroke-dasharray="6 4" stroke-width="1.5"`)
		s.text(left+float64(gi)*groupW+groupW/2, top+ph+36, "middle", `fill="#c44e52" font-size="11"`, fmt.Sprintf("dashed: the target, %g KiB", target))
	}
	s.frame(left, top, pw, ph, "KiB RSS per stream", ids)
	s.text(left+pw+20, top+10+18*float64(len(ids))+14, "start", `font-size="10" fill="#555"`, "dark: Go heap; pale: stacks")
	return s.done()
}
